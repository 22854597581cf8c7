/** Picks the adapter: the preload's bridge inside Electron, the WebSocket in a browser tab. */
import type { ServiceClient } from './client'
import { createIpcClient } from './ipcAdapter'
import { bridgeUrl, createWsClient } from './wsAdapter'

export type { ConnectionStatus, ServiceClient } from './client'

export function createServiceClient(): ServiceClient {
  if (window.clusterdesk?.call) return createIpcClient(window.clusterdesk)
  return createWsClient({ url: bridgeUrl(window.location) })
}
