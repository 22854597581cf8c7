/**
 * Connection files: `<home>/profiles/<profile>/cluster.json` (mode 0600, in 0700 directories)
 * holding a running controller's address, pid and key. Written by a Cluster started with a
 * `profile` (and so by the `clusterdesk start` daemon), read by `connect()` and `clusterdesk list`.
 */
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { ConnectionError } from '../core/client/errors'
import type { ListenAddress } from '../core/remote/ProtocolServer'
import { openRemote } from '../core/remote/openRemote'
import { clusterdeskHome, profileDir } from '../home'

export const DEFAULT_PROFILE = 'default'

/** What a connection file holds. */
export interface ConnectionInfo {
  profile: string
  /** The controller's process. */
  pid: number
  address: ListenAddress
  /** 256 random bits, hex; proven by HMAC, never sent. */
  key: string
  /** Epoch milliseconds. */
  startedAt: number
}

/** One profile as `clusterdesk list` shows it. */
export interface ProfileStatus {
  profile: string
  /** 'stale': the file's controller is gone (the file was removed) or does not answer. */
  state: 'running' | 'stale'
  pid: number
  engines: number | null
  clients: number | null
  uptimeS: number | null
  file: string
}

/** Which connection file: a profile's, or one given by path. */
export type ConnectionTarget = { profile?: string; file?: string }

export const connectionFile = (profile: string): string => join(profileDir(profile), 'cluster.json')

/** Profile names become directory names: keep them to one plain path segment. */
export function checkProfileName(profile: unknown): string {
  if (typeof profile !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(profile)) {
    throw new ConnectionError(`profile must be a name of letters, digits, '.', '_' or '-' (at most 64), got ${JSON.stringify(profile)}`)
  }
  return profile
}

export const startHint = (profile: string): string =>
  `start one with \`clusterdesk start${profile === DEFAULT_PROFILE ? '' : ` --profile ${profile}`}\``

/** Reads and checks a connection file; every problem is a ConnectionError saying what to do. */
export function readConnectionFile(target: ConnectionTarget = {}): ConnectionInfo & { file: string } {
  const profile = target.file ? null : checkProfileName(target.profile ?? DEFAULT_PROFILE)
  const file = target.file ?? connectionFile(profile!)
  const what = profile ? `profile '${profile}'` : `connection file ${file}`
  let mode: number
  try {
    mode = statSync(file).mode & 0o777
  } catch {
    throw new ConnectionError(
      profile ? `no cluster is running under profile '${profile}' (no ${file}): ${startHint(profile)}` : `there is no connection file ${file}: check the path, or start a cluster with \`clusterdesk start\``,
    )
  }
  if (mode & 0o077) {
    throw new ConnectionError(
      `the connection file of ${what} (${file}) has mode ${mode.toString(8).padStart(4, '0')}, but it holds the cluster's key and must be readable by you alone: ` +
        `run \`chmod 600 ${file}\` if you trust it, or restart the cluster`,
    )
  }
  let info: ConnectionInfo
  try {
    info = JSON.parse(readFileSync(file, 'utf8')) as ConnectionInfo
  } catch (err) {
    throw new ConnectionError(`cannot read the connection file of ${what} (${file}): ${(err as Error).message}; stop and start the cluster to write it again`)
  }
  const address = info?.address as Partial<{ path: string; host: string; port: number }> | undefined
  const addressOk = !!address && (typeof address.path === 'string' || (typeof address.host === 'string' && Number.isInteger(address.port)))
  if (!info || !Number.isInteger(info.pid) || typeof info.key !== 'string' || !/^[0-9a-f]{64}$/.test(info.key) || !addressOk) {
    throw new ConnectionError(`the connection file of ${what} (${file}) is not a clusterdesk connection file (it lacks a pid, address or key)`)
  }
  return { ...info, profile: info.profile ?? profile ?? DEFAULT_PROFILE, file }
}

/** Whether a controller process runs; one that has exited but is not yet reaped (a zombie) does not. */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z'
  } catch {
    // No /proc (macOS): signal 0 is all there is to go by.
    return true
  }
}

/** Writes a profile's connection file atomically, mode 0600, its directories 0700. */
export function writeConnectionFile(info: ConnectionInfo): string {
  const dir = profileDir(checkProfileName(info.profile))
  mkdirSync(join(clusterdeskHome(), 'profiles'), { recursive: true, mode: 0o700 })
  mkdirSync(dir, { recursive: true, mode: 0o700 })
  chmodSync(dir, 0o700)
  const file = connectionFile(info.profile)
  const temp = `${file}.${process.pid}.tmp`
  writeFileSync(temp, `${JSON.stringify(info, null, 2)}\n`, { mode: 0o600 })
  renameSync(temp, file)
  return file
}

/** Removes a profile's connection file if it is still the one of controller `pid`. */
export function removeConnectionFile(profile: string, pid = process.pid): void {
  const file = connectionFile(profile)
  try {
    const info = JSON.parse(readFileSync(file, 'utf8')) as ConnectionInfo
    if (info.pid === pid) unlinkSync(file)
  } catch {
    // Already gone, or not ours to remove.
  }
}

/** Asks a running controller for its status; null if it does not answer in time. */
async function askStatus(info: ConnectionInfo, timeoutMs: number): Promise<{ engines: number; clients: number; uptimeS: number } | null> {
  try {
    const link = await openRemote({ address: info.address, key: info.key, describe: `profile '${info.profile}'`, hint: startHint(info.profile), timeoutMs, probe: true })
    try {
      const s = await link.status()
      // This asking client is not one of the cluster's clients.
      return { engines: s.engines, clients: Math.max(0, s.clients - 1), uptimeS: s.uptimeS }
    } finally {
      await link.close()
    }
  } catch {
    return null
  }
}

/**
 * Every profile with a connection file, asking each running controller for its status. A file
 * whose controller process is gone is removed and reported 'stale'.
 */
export async function listProfiles(options: { timeoutMs?: number } = {}): Promise<ProfileStatus[]> {
  const root = join(clusterdeskHome(), 'profiles')
  const names = existsSync(root) ? readdirSync(root).filter((n) => existsSync(join(root, n, 'cluster.json'))).sort() : []
  return Promise.all(
    names.map(async (profile): Promise<ProfileStatus> => {
      const file = connectionFile(profile)
      let info: ConnectionInfo
      try {
        info = readConnectionFile({ profile })
      } catch {
        return { profile, state: 'stale', pid: 0, engines: null, clients: null, uptimeS: null, file }
      }
      if (!isProcessAlive(info.pid)) {
        removeConnectionFile(profile, info.pid)
        return { profile, state: 'stale', pid: info.pid, engines: null, clients: null, uptimeS: null, file }
      }
      const status = await askStatus(info, options.timeoutMs ?? 3000)
      if (!status) return { profile, state: 'stale', pid: info.pid, engines: null, clients: null, uptimeS: null, file }
      return { profile, state: 'running', pid: info.pid, ...status, file }
    }),
  )
}
