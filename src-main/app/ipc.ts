/**
 * The Electron adapter of the service API: the window calls `clusterdesk:call` with a method
 * name and an argument list, and gets `{result}` or `{error: {name, message}}` back (errors as
 * plain data, so their name survives IPC); event batches go to every attached window on
 * `clusterdesk:events`. Calls are taken only from attached windows, and every payload is
 * checked against the service's schemas before it reaches the service.
 */
import { ipcMain, type IpcMainInvokeEvent, type WebContents } from 'electron'
import type { ClusterServiceApi } from '../service/api'
import { dispatch, type CallReply } from '../service/dispatch'
import type { EventSource } from '../service/eventBus'
import { CALL_CHANNEL, EVENTS_CHANNEL } from './channels'

export interface IpcBridge {
  /** Lets a window call the service and receive its events (until it is destroyed). */
  attach(contents: WebContents): void
  /** Removes the handler and stops forwarding events. */
  dispose(): void
}

export function registerIpc(service: ClusterServiceApi & EventSource): IpcBridge {
  const windows = new Map<number, WebContents>()

  ipcMain.handle(CALL_CHANNEL, (event: IpcMainInvokeEvent, method: unknown, args: unknown): Promise<CallReply> | CallReply => {
    if (!windows.has(event.sender.id)) {
      return { error: { name: 'IpcSenderError', message: 'calls are accepted from clusterdesk windows only' } }
    }
    return dispatch(service, method, args)
  })

  const stopEvents = service.onEvents((batch) => {
    for (const [id, contents] of windows) {
      if (contents.isDestroyed()) windows.delete(id)
      else contents.send(EVENTS_CHANNEL, batch)
    }
  })

  return {
    attach(contents) {
      windows.set(contents.id, contents)
      contents.once('destroyed', () => windows.delete(contents.id))
    },
    dispose() {
      stopEvents()
      windows.clear()
      ipcMain.removeHandler(CALL_CHANNEL)
    },
  }
}
