/// <reference types="vite/client" />

/** What the preload script (src-main/preload) exposes to the renderer. */
interface ClusterdeskBridge {
  /** The app's version, from package.json. */
  readonly version: string
  /** Forwards one ClusterServiceApi call to the main process. */
  call(method: string, ...args: unknown[]): Promise<unknown>
  /** Subscribes to the service's event batches; returns the unsubscribe function. */
  onEvents(listener: (batch: import('../../src-main/service/api').ServiceEvent[]) => void): () => void
}

interface Window {
  /**
   * Present in the Electron window only: the same app served to a browser tab
   * (by `clusterdesk serve`) has no preload and talks over a WebSocket instead.
   */
  readonly clusterdesk?: ClusterdeskBridge
}
