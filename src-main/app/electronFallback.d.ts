// Type-checking stand-in for the 'electron' module where the package is not
// installed: it is an optional dependency, and npm skips it on Node < 22.12
// (Electron >= 42 asks for that in "engines"). tsconfig.node.json's `paths`
// tries node_modules/electron first, so wherever Electron is installed its
// real types win. This declares only what src-main/app and src-main/preload
// use, with Electron's own signatures; extend it as they use more.

export interface Event {
  preventDefault(): void
}

export interface MenuItemConstructorOptions {
  role?: 'appMenu' | 'fileMenu' | 'editMenu' | 'viewMenu' | 'windowMenu' | 'help' | 'quit' | 'about'
  label?: string
  click?: () => void
  submenu?: MenuItemConstructorOptions[]
}

export declare class Menu {
  static buildFromTemplate(template: MenuItemConstructorOptions[]): Menu
  static setApplicationMenu(menu: Menu | null): void
}

export interface WebPreferences {
  preload?: string
  contextIsolation?: boolean
  sandbox?: boolean
  nodeIntegration?: boolean
}

export interface BrowserWindowConstructorOptions {
  width?: number
  height?: number
  show?: boolean
  title?: string
  icon?: string
  webPreferences?: WebPreferences
}

export interface WebContents {
  readonly id: number
  setWindowOpenHandler(handler: (details: { url: string }) => { action: 'allow' | 'deny' }): void
  on(event: 'will-navigate', listener: (event: Event, url: string) => void): this
  once(event: 'destroyed', listener: () => void): this
  send(channel: string, ...args: unknown[]): void
  isDestroyed(): boolean
}

export interface IpcMainInvokeEvent {
  readonly sender: WebContents
}

export declare const ipcMain: {
  handle(channel: string, listener: (event: IpcMainInvokeEvent, ...args: any[]) => Promise<unknown> | unknown): void
  removeHandler(channel: string): void
}

export interface IpcRendererEvent {
  readonly sender: unknown
}

export declare const ipcRenderer: {
  invoke(channel: string, ...args: unknown[]): Promise<any>
  on(channel: string, listener: (event: IpcRendererEvent, ...args: any[]) => void): unknown
  removeListener(channel: string, listener: (...args: any[]) => void): unknown
}

export declare class BrowserWindow {
  constructor(options?: BrowserWindowConstructorOptions)
  static getAllWindows(): BrowserWindow[]
  readonly webContents: WebContents
  on(event: 'closed', listener: () => void): this
  once(event: 'ready-to-show', listener: () => void): this
  show(): void
  focus(): void
  restore(): void
  isMinimized(): boolean
  loadURL(url: string): Promise<void>
  loadFile(filePath: string): Promise<void>
}

export declare const app: {
  readonly isPackaged: boolean
  setName(name: string): void
  isReady(): boolean
  whenReady(): Promise<void>
  requestSingleInstanceLock(): boolean
  quit(): void
  getPath(name: 'userData' | 'appData' | 'home' | 'temp' | 'logs'): string
  on(event: 'second-instance' | 'window-all-closed' | 'activate', listener: () => void): void
  on(event: 'before-quit', listener: (event: Event) => void): void
}

export declare const shell: {
  openExternal(url: string): Promise<void>
}

export declare const contextBridge: {
  exposeInMainWorld(apiKey: string, api: unknown): void
}
