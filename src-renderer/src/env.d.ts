/// <reference types="vite/client" />

/** What the preload script (src-main/preload) exposes to the renderer. */
interface ClusterdeskBridge {
  /** The app's version, from package.json. */
  readonly version: string
}

interface Window {
  /**
   * Present in the Electron window only: the same app served to a browser tab
   * (by `clusterdesk serve`, later) has no preload, so check before use.
   */
  readonly clusterdesk?: ClusterdeskBridge
}
