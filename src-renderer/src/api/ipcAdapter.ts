/** The Electron adapter: forwards calls and events through the preload's `window.clusterdesk`. */
import type { ServiceMethod } from '../../../src-main/service/api'
import { forwardMethods, ServiceCallError, type ServiceClient } from './client'

// Electron wraps an error thrown by a main-process handler as
// "Error invoking remote method 'call': Error: <message>"; keep the user's part.
const IPC_PREFIX = /^Error invoking remote method '[^']*': (?:(\w*Error): )?/

function rebuild(method: ServiceMethod, err: unknown): Error {
  if (!(err instanceof Error)) return new ServiceCallError(method, 'Error', String(err))
  const match = IPC_PREFIX.exec(err.message)
  if (!match) return err
  return new ServiceCallError(method, match[1] ?? err.name, err.message.slice(match[0].length))
}

export function createIpcClient(bridge: ClusterdeskBridge): ServiceClient {
  const api = forwardMethods((method, args) => bridge.call(method, ...args).catch((err: unknown) => Promise.reject(rebuild(method, err))))
  return {
    ...api,
    onEvents: (listener) => bridge.onEvents(listener),
    // IPC to our own main process never drops; report it open once.
    onConnection(listener) {
      listener({ state: 'open' })
      return () => {}
    },
  }
}
