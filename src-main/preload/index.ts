import { contextBridge } from 'electron'
import { version } from '../../package.json'

// The one object the renderer sees as `window.clusterdesk`; its type lives in
// src-renderer/src/env.d.ts. Later it gains the typed service API, forwarded
// over IPC — never raw ipcRenderer access.
const api = {
  version
}

contextBridge.exposeInMainWorld('clusterdesk', api)
