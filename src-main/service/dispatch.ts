/**
 * One call from an adapter (Electron IPC, WebSocket) to the service: the method name and
 * arguments are checked against the schemas, and the outcome becomes plain data — the result,
 * or the error's name and message — ready to cross a process boundary.
 */
import type { ClusterServiceApi } from './api'
import { parseCall } from './schemas'

/** An error as it crosses to the renderer, rebuilt there as an Error with this name. */
export interface WireServiceError {
  name: string
  message: string
}

export type CallReply = { result: unknown } | { error: WireServiceError }

export async function dispatch(service: ClusterServiceApi, method: unknown, args: unknown): Promise<CallReply> {
  try {
    const call = parseCall(method, args)
    const fn = service[call.method] as (...a: unknown[]) => Promise<unknown>
    return { result: await fn.apply(service, call.args) }
  } catch (err) {
    return { error: toWireError(err) }
  }
}

export function toWireError(err: unknown): WireServiceError {
  if (err instanceof Error) return { name: err.name, message: err.message }
  return { name: 'Error', message: String(err) }
}
