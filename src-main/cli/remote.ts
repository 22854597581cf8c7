/**
 * The library's connected-cluster API, as the CLI uses it: `connect()`, `ConnectionError`,
 * `listProfiles()` and adding nodes to a running cluster. One place, so the CLI's assumptions
 * about that API are written down once.
 */
import * as lib from '../index'
import type { NodeSpec } from '../cluster/options'
import type { Client } from '../core/client/Client'

/** One profile as `listProfiles()` reports it (a stale file has already been removed). */
export interface ProfileStatus {
  profile: string
  state: 'running' | 'stale'
  pid: number | null
  engines: number
  clients: number
  uptimeS: number
  file: string
}

/** A Client connected to a controller in another process. */
export type RemoteClient = Client & {
  close(): Promise<void>
  shutdown(): Promise<void>
  addNodes?(specs: NodeSpec[]): Promise<unknown>
}

export interface ConnectOptions {
  profile?: string
  file?: string
  timeoutMs?: number
}

interface ConnectedApi {
  connect(options?: ConnectOptions): Promise<RemoteClient>
  listProfiles(): Promise<ProfileStatus[]>
  ConnectionError: new (...args: never[]) => Error
}

/** This build of the library has no connected clusters (it predates them). */
export class NoConnectSupportError extends Error {
  override name = 'NoConnectSupportError'
}

/** The library's export `name`, looked up by a computed key so a build without it still bundles. */
const exported = <K extends keyof ConnectedApi>(name: K): ConnectedApi[K] | undefined => (lib as unknown as Partial<ConnectedApi>)[name]

function api<K extends keyof ConnectedApi>(name: K): ConnectedApi[K] {
  const value = exported(name)
  if (value === undefined) throw new NoConnectSupportError(`this build of clusterdesk has no ${name}(); rebuild it from a version with connected clusters`)
  return value as ConnectedApi[K]
}

export const connect = (options?: ConnectOptions): Promise<RemoteClient> => api('connect')(options)

export const listProfiles = (): Promise<ProfileStatus[]> => api('listProfiles')()

/** True for the library's ConnectionError (no cluster, stale file, wrong key, wrong mode, controller gone). */
export function isConnectionError(err: unknown): err is Error {
  const ctor = exported('ConnectionError')
  return ctor !== undefined ? err instanceof ctor : err instanceof Error && err.name === 'ConnectionError'
}

/** Adds nodes (and their engines) to the running cluster `rc` is connected to. */
export async function addNodes(rc: RemoteClient, specs: NodeSpec[]): Promise<void> {
  if (typeof rc.addNodes !== 'function') throw new NoConnectSupportError('this build of clusterdesk cannot add nodes to a running cluster')
  await rc.addNodes(specs)
}

/**
 * The profile's state from `listProfiles()` (which removes a stale file and says so), or null when
 * no connection file names it. A library without `listProfiles` reports nothing: the Cluster
 * itself then refuses a second start of a running profile.
 */
export async function profileStatus(profile: string): Promise<ProfileStatus | null> {
  if (exported('listProfiles') === undefined) return null
  return (await listProfiles()).find((p) => p.profile === profile) ?? null
}
