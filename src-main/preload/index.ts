import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron'
import { version } from '../../package.json'
import { CALL_CHANNEL, EVENTS_CHANNEL } from '../app/channels'
import type { ServiceEvent, ServiceMethod } from '../service/api'

// The one object the renderer sees as `window.clusterdesk`: the service API over IPC, never raw
// ipcRenderer. Main replies with plain data; errors are rebuilt here with their name.
contextBridge.exposeInMainWorld('clusterdesk', {
  version,
  async call(method: ServiceMethod, ...args: unknown[]): Promise<unknown> {
    const reply = await ipcRenderer.invoke(CALL_CHANNEL, method, args)
    if (reply.error) throw Object.assign(new Error(reply.error.message), { name: reply.error.name })
    return reply.result
  },
  onEvents(callback: (batch: ServiceEvent[]) => void): () => void {
    const listener = (_event: IpcRendererEvent, batch: ServiceEvent[]): void => callback(batch)
    ipcRenderer.on(EVENTS_CHANNEL, listener)
    return () => void ipcRenderer.removeListener(EVENTS_CHANNEL, listener)
  },
})
