/**
 * The one interface the renderer talks to: the service API plus its event stream and the state
 * of the connection behind it. Electron IPC and the browser bridge's WebSocket are two small
 * adapters of it; tests use an in-memory fake.
 */
import type { ClusterServiceApi, ServiceEvent, ServiceMethod } from '../../../src-main/service/api'

export type ConnectionState = 'connecting' | 'open' | 'closed'

export interface ConnectionStatus {
  state: ConnectionState
  /** Why the connection is closed, in words a user can act on. */
  reason?: string
  /** When closed: milliseconds until the next attempt, if one is scheduled. */
  retryInMs?: number
}

export interface ServiceClient extends ClusterServiceApi {
  /** Calls `listener` with every batch of service events; returns the unsubscribe function. */
  onEvents(listener: (batch: ServiceEvent[]) => void): () => void
  /** Calls `listener` now and whenever the connection opens or closes (a reconnect needs a new snapshot). */
  onConnection(listener: (status: ConnectionStatus) => void): () => void
}

/** Every method of the contract, once; `satisfies` makes the compiler catch a missing one. */
const METHODS = {
  snapshot: true,
  saveNode: true,
  deleteNode: true,
  testNode: true,
  startNode: true,
  stopNode: true,
  reconnectNode: true,
  trustHostKey: true,
  stopEngine: true,
  restartEngine: true,
  interrupt: true,
  runPi: true,
  runAllModes: true,
  cancelRun: true,
  getRun: true,
  deleteRun: true,
  execute: true,
  clearErrors: true,
  listProfiles: true,
  attach: true,
  detach: true,
} satisfies Record<ServiceMethod, true>

export const SERVICE_METHODS = Object.keys(METHODS) as ServiceMethod[]

/** A service call that failed on the other side, rebuilt from `{name, message}`. */
export class ServiceCallError extends Error {
  constructor(
    readonly method: string,
    name: string,
    message: string,
  ) {
    super(message)
    this.name = name || 'Error'
  }
}

/** The connection closed while a call was waiting for its answer. */
export class ConnectionClosedError extends Error {
  override name = 'ConnectionClosedError'
  constructor(
    readonly method: string,
    reason: string,
  ) {
    super(`the connection to the clusterdesk service closed before ${method} answered (${reason}); it reconnects by itself, so try again in a moment`)
  }
}

type Call = (method: ServiceMethod, args: unknown[]) => Promise<unknown>

/** Builds the API half of a client: every method forwards its arguments to `call`. */
export function forwardMethods(call: Call): ClusterServiceApi {
  const api: Record<string, (...args: unknown[]) => Promise<unknown>> = {}
  for (const method of SERVICE_METHODS) api[method] = (...args) => call(method, args)
  return api as unknown as ClusterServiceApi
}
