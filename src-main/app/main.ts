import { join } from 'node:path'
import { BrowserWindow, Menu, app, shell, type MenuItemConstructorOptions } from 'electron'
import icon from '../../resources/icon.png?asset'
import { ClusterService } from '../service/ClusterService'
import { registerIpc, type IpcBridge } from './ipc'

// Names userData (where nodes and run history will live) even when Electron
// is started on the built file rather than on a package.json.
app.setName('clusterdesk')

let mainWindow: BrowserWindow | undefined

function openMainWindow(ipc: IpcBridge): void {
  const window = new BrowserWindow({
    width: 1100,
    height: 720,
    show: false,
    title: 'clusterdesk',
    ...(process.platform === 'linux' ? { icon } : {}),
    webPreferences: {
      preload: join(import.meta.dirname, '../preload/index.cjs'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false
    }
  })
  window.once('ready-to-show', () => window.show())
  window.on('closed', () => (mainWindow = undefined))
  // The renderer is a local page: links open in the system browser and
  // nothing navigates the window itself away from it.
  window.webContents.setWindowOpenHandler(({ url }) => {
    if (/^https?:\/\//.test(url)) void shell.openExternal(url)
    return { action: 'deny' }
  })
  window.webContents.on('will-navigate', (event) => event.preventDefault())
  ipc.attach(window.webContents)

  const devServerUrl = process.env['ELECTRON_RENDERER_URL']
  if (!app.isPackaged && devServerUrl) void window.loadURL(devServerUrl)
  else void window.loadFile(join(import.meta.dirname, '../renderer/index.html'))
  mainWindow = window
}

function buildMenu(): Menu {
  const template: MenuItemConstructorOptions[] = [
    ...(process.platform === 'darwin' ? [{ role: 'appMenu' } as const] : []),
    { role: 'fileMenu' },
    { role: 'editMenu' },
    { role: 'viewMenu' },
    { role: 'windowMenu' }
  ]
  return Menu.buildFromTemplate(template)
}

// A second launch focuses the running window rather than starting a second
// controller over the same database and nodes.
if (!app.requestSingleInstanceLock()) {
  app.quit()
} else {
  // The database lives in userData; trusted host keys go to clusterdesk's one trust store (home.ts), shared with the library and the CLI.
  const service = new ClusterService({ dataDir: app.getPath('userData') })
  const ipc = registerIpc(service)
  // Quitting waits until every engine and agent is gone and the database is closed.
  let stopped = false
  let stopping: Promise<void> | null = null
  app.on('before-quit', (event) => {
    if (stopped) return
    event.preventDefault()
    stopping ??= service.close().finally(() => {
      stopped = true
      ipc.dispose()
      app.quit()
    })
  })
  app.on('second-instance', () => {
    if (!mainWindow) return
    if (mainWindow.isMinimized()) mainWindow.restore()
    mainWindow.focus()
  })
  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit()
  })
  app.on('activate', () => {
    if (!mainWindow && app.isReady()) openMainWindow(ipc)
  })
  void app.whenReady().then(() => {
    Menu.setApplicationMenu(buildMenu())
    openMainWindow(ipc)
  })
}
