/** Nodes as stored, with their live state. */
import { defineStore } from 'pinia'
import { computed, ref } from 'vue'
import type { NodeInput, NodeRecord, NodeStatus, NodeTestResult, ServiceEvent, ServiceSnapshot } from '../../../src-main/service/api'
import { useEnginesStore } from './engines'
import { useSessionStore } from './session'

export interface NodeRow extends NodeRecord {
  status: NodeStatus
  /** How many of the node's engines are alive now (a lost node's engines are dead). */
  liveEngines: number
}

const stopped = (nodeId: string): NodeStatus => ({ nodeId, state: 'stopped', engineIds: [] })

export const useNodesStore = defineStore('nodes', () => {
  const nodes = ref<NodeRecord[]>([])
  const status = ref<Record<string, NodeStatus>>({})

  const engines = useEnginesStore()
  const rows = computed<NodeRow[]>(() =>
    nodes.value.map((n) => {
      const s = status.value[n.id] ?? stopped(n.id)
      const liveEngines = s.engineIds.filter((id) => engines.byId[id] !== undefined && engines.byId[id].state !== 'dead').length
      return { ...n, status: s, liveEngines }
    }),
  )
  const byId = (id: string): NodeRow | undefined => rows.value.find((n) => n.id === id)

  function load(snapshot: ServiceSnapshot): void {
    nodes.value = snapshot.nodes
    status.value = Object.fromEntries(snapshot.nodeStatus.map((s) => [s.nodeId, s]))
  }

  function apply(event: Extract<ServiceEvent, { type: 'nodes' | 'nodeStatus' }>): void {
    if (event.type === 'nodes') nodes.value = event.nodes
    else status.value = { ...status.value, [event.status.nodeId]: event.status }
  }

  const api = () => useSessionStore().api()

  async function save(input: NodeInput & { id?: string }): Promise<NodeRecord> {
    const saved = await api().saveNode(input)
    const i = nodes.value.findIndex((n) => n.id === saved.id)
    nodes.value = i >= 0 ? nodes.value.map((n) => (n.id === saved.id ? saved : n)) : [...nodes.value, saved]
    return saved
  }

  async function remove(id: string): Promise<void> {
    await api().deleteNode(id)
    nodes.value = nodes.value.filter((n) => n.id !== id)
  }

  // A passphrase is passed only when the user typed one: calls without it keep their old shape.
  const test = (input: NodeInput, passphrase?: string): Promise<NodeTestResult> => (passphrase === undefined ? api().testNode(input) : api().testNode(input, passphrase))
  const start = (id?: string, passphrase?: string): Promise<void> => (passphrase === undefined ? api().startNode(id) : api().startNode(id, passphrase))
  const reconnect = (id: string, passphrase?: string): Promise<void> => (passphrase === undefined ? api().reconnectNode(id) : api().reconnectNode(id, passphrase))
  const trustHostKey = (node: string | NodeInput, fingerprint: string): Promise<void> => api().trustHostKey(node, fingerprint)
  const stop = (id?: string): Promise<void> => api().stopNode(id)

  return { nodes, status, rows, byId, load, apply, save, remove, test, start, reconnect, trustHostKey, stop }
})
