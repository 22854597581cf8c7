/**
 * The connection to the service: holds the client, loads the snapshot whenever the connection
 * (re)opens, and routes every event batch to the store that owns it.
 */
import { defineStore } from 'pinia'
import { markRaw, ref, shallowRef } from 'vue'
import type { ServiceEvent, ServiceSnapshot } from '../../../src-main/service/api'
import type { ConnectionStatus, ServiceClient } from '../api/client'
import { useClusterStore } from './cluster'
import { useConsoleStore } from './console'
import { useEnginesStore } from './engines'
import { useErrorsStore } from './errors'
import { useNodesStore } from './nodes'
import { useRunsStore } from './runs'

export class NotConnectedError extends Error {
  override name = 'NotConnectedError'
  constructor() {
    super('the GUI is not connected to the clusterdesk service yet; wait for the connection and try again')
  }
}

export const useSessionStore = defineStore('session', () => {
  const client = shallowRef<ServiceClient | null>(null)
  const connection = ref<ConnectionStatus>({ state: 'connecting' })
  const loaded = ref(false)
  const loadError = ref<string | null>(null)
  const version = ref('')
  const dataDir = ref('')
  let loading = false
  let buffered: ServiceEvent[] = []
  let unsubscribe: Array<() => void> = []

  function api(): ServiceClient {
    if (!client.value) throw new NotConnectedError()
    return client.value
  }

  function applySnapshot(snapshot: ServiceSnapshot): void {
    version.value = snapshot.version
    dataDir.value = snapshot.dataDir
    useNodesStore().load(snapshot)
    useEnginesStore().load(snapshot)
    useRunsStore().load(snapshot)
    useConsoleStore().load(snapshot)
    useErrorsStore().load(snapshot)
    useClusterStore().load(snapshot)
    loaded.value = true
  }

  function dispatch(batch: ServiceEvent[]): void {
    // Events that race the snapshot are applied after it, so the snapshot never undoes them.
    if (loading) {
      buffered.push(...batch)
      return
    }
    const nodes = useNodesStore()
    const engines = useEnginesStore()
    const runs = useRunsStore()
    const consoleStore = useConsoleStore()
    const errors = useErrorsStore()
    const cluster = useClusterStore()
    for (const event of batch) {
      switch (event.type) {
        case 'nodes':
        case 'nodeStatus':
          nodes.apply(event)
          break
        case 'engine':
        case 'enginesRemoved':
        case 'output':
          engines.apply(event)
          break
        case 'run':
        case 'runChunks':
        case 'runDeleted':
        case 'runProgress':
          runs.apply(event)
          break
        case 'console':
          consoleStore.apply(event.entry)
          break
        case 'error':
        case 'errorsCleared':
          errors.apply(event)
          break
        case 'profile':
        case 'clients':
        case 'tasks':
        case 'tasksStarted':
        case 'tasksReset':
          cluster.apply(event)
          break
      }
    }
  }

  async function reload(): Promise<void> {
    loading = true
    buffered = []
    try {
      const snapshot = await api().snapshot()
      applySnapshot(snapshot)
      loadError.value = null
    } catch (err) {
      loadError.value = err instanceof Error ? err.message : String(err)
    } finally {
      loading = false
      const missed = buffered
      buffered = []
      if (missed.length) dispatch(missed)
    }
  }

  /** Attaches a client: every time its connection opens, the whole state is reloaded. */
  function attach(next: ServiceClient): Promise<void> {
    for (const off of unsubscribe) off()
    client.value = markRaw(next)
    let first: Promise<void> = Promise.resolve()
    unsubscribe = [
      next.onEvents(dispatch),
      next.onConnection((status) => {
        connection.value = status
        if (status.state === 'open') first = reload()
      }),
    ]
    return first
  }

  return { client, connection, loaded, loadError, version, dataDir, api, attach, reload, dispatch }
})
