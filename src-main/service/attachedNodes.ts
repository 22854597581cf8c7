/**
 * The app's nodes on a cluster it attached to (one `clusterdesk start` runs): the attached
 * controller launches them (`addNodes` over the client protocol) and stops them (`stopNode`), so
 * their agents belong to that cluster and outlive the app. Their states are kept per profile, as
 * the Nodes page shows the nodes of the cluster it shows.
 *
 * That controller is another process: it cannot ask the app's user anything. An unknown host key
 * is checked against the trust store the app shares with it (same `<home>`), so trusting it here
 * and starting again works; a passphrase is never sent to another process: ssh-agent it is.
 */
import type { NodeSpec } from '../cluster/options'
import type { Client } from '../core/client/Client'
import type { NodeRecord, NodeStatus } from './api'
import type { EventBus } from './eventBus'
import { specOf } from './nodeManager'
import type { HostKeyFiles } from './sshNodes'

/** A node cannot be started or stopped that way on the attached cluster; the message says what to do. */
export class AttachedNodeError extends Error {
  override name = 'AttachedNodeError'
}

/** Where SSH errors of the attached controller come from, as NodeStatus.level names them. */
const LEVEL_OF: Record<string, string> = { HostKeyError: 'host-key', SshKeyError: 'client-key' }

interface Placed {
  status: NodeStatus
  /** The node's key in the attached cluster (its engines' `node`), once known. */
  key: string | null
}

export class AttachedNodes {
  /** Profile → node id → its state on that profile's cluster. */
  private readonly byProfile = new Map<string, Map<string, Placed>>()

  constructor(
    private readonly bus: EventBus,
    private readonly hostKeys: HostKeyFiles,
  ) {}

  /** Every node's state on `profile`'s cluster (stopped unless the app started it there). */
  statuses(profile: string, nodes: NodeRecord[]): NodeStatus[] {
    const placed = this.byProfile.get(profile)
    return nodes.map((n) => placed?.get(n.id)?.status ?? { nodeId: n.id, state: 'stopped', engineIds: [] })
  }

  /** True while the node runs (or starts) on `profile`'s cluster. */
  has(profile: string, nodeId: string): boolean {
    const state = this.byProfile.get(profile)?.get(nodeId)?.status.state
    return state !== undefined && state !== 'stopped' && state !== 'failed'
  }

  /** Starts the node on the attached cluster; resolves once its engines have registered there. */
  async start(profile: string, client: Client, node: NodeRecord, passphrase?: string): Promise<void> {
    if (passphrase) throw new AttachedNodeError(noPassphrase(profile, node))
    const current = this.byProfile.get(profile)?.get(node.id)?.status.state
    if (current && current !== 'stopped' && current !== 'failed' && current !== 'lost') return
    this.set(profile, node.id, { state: node.kind === 'ssh' ? 'connecting' : 'starting' }, null)
    let ids: number[]
    try {
      ids = await client.addNodes([forAnotherProcess(specOf(node, this.hostKeys))])
    } catch (err) {
      const e = explain(err as Error, profile, node)
      const level = LEVEL_OF[(err as Error).name]
      const needsTrust = (err as Error).name === 'HostKeyError' && !/CHANGED|@revoked/.test((err as Error).message)
      this.set(profile, node.id, { state: 'failed', reason: e.message, ...(level ? { level } : {}), ...(needsTrust ? { needsTrust } : {}) }, null)
      throw e
    }
    const engines = client.engines.filter((e) => ids.includes(e.id))
    this.set(profile, node.id, { state: 'ready', engineIds: ids, ...(engines[0] ? { host: engines[0].host } : {}) }, engines[0]?.node ?? null)
  }

  /** Starts several nodes at once; one failure fails the call with every node's reason. */
  async startAll(profile: string, client: Client, nodes: NodeRecord[], passphrase?: string): Promise<void> {
    const results = await Promise.allSettled(nodes.map((n) => this.start(profile, client, n, passphrase)))
    const failed = results.flatMap((r, i) => (r.status === 'rejected' ? [{ node: nodes[i], error: r.reason as Error }] : []))
    if (failed.length === 1 && nodes.length === 1) throw failed[0].error
    if (failed.length) throw new Error(`${failed.length} of ${nodes.length} nodes failed to start on profile '${profile}':\n${failed.map((f) => `${f.node.name}: ${f.error.message}`).join('\n')}`)
  }

  /** Stops the node on the attached cluster: its engines and agent are gone when this resolves. */
  async stop(profile: string, client: Client, node: NodeRecord): Promise<void> {
    const placed = this.byProfile.get(profile)?.get(node.id)
    if (!placed || placed.status.state === 'stopped') return
    // A failed start left nothing on that cluster.
    if (placed.status.state === 'failed') return this.set(profile, node.id, { state: 'stopped' }, null)
    const key = placed.key ?? keyOf(client, placed.status.engineIds)
    if (!key) throw new AttachedNodeError(`${node.name} has no engine on profile '${profile}' yet, so its node there is not known: \`clusterdesk stop --profile ${profile}\` stops that whole cluster`)
    await client.stopNode(key)
    this.set(profile, node.id, { state: 'stopped' }, null)
  }

  /** The attached cluster reported a node problem (`lost: …` when its agent went away). */
  nodeEvent(profile: string, client: Client, key: string, message: string): void {
    for (const [nodeId, placed] of this.byProfile.get(profile) ?? []) {
      if ((placed.key ?? keyOf(client, placed.status.engineIds)) !== key) continue
      const lost = message.startsWith('lost: ')
      this.set(profile, nodeId, { ...placed.status, state: lost ? 'lost' : placed.status.state, reason: lost ? message.slice(6) : message }, placed.key)
    }
  }

  /** The profile's cluster is gone (stopped, or its process died): its nodes with it. */
  forget(profile: string): void {
    this.byProfile.delete(profile)
  }

  private set(profile: string, nodeId: string, status: Partial<Omit<NodeStatus, 'nodeId'>> & { state: NodeStatus['state'] }, key: string | null): void {
    let placed = this.byProfile.get(profile)
    if (!placed) this.byProfile.set(profile, (placed = new Map()))
    const full: NodeStatus = { engineIds: [], ...status, nodeId }
    placed.set(nodeId, { status: full, key })
    this.bus.publish({ type: 'nodeStatus', status: full })
  }
}

/** The key of the node these engines run on, from the attached client's engine table. */
function keyOf(client: Client, engineIds: number[]): string | null {
  return client.engines.find((e) => engineIds.includes(e.id))?.node ?? null
}

/**
 * The spec as another process on this machine launches it: "use ssh-agent" means this app's
 * agent, which the controller's own environment may lack.
 */
function forAnotherProcess(spec: NodeSpec): NodeSpec {
  const agent = process.env.SSH_AUTH_SOCK
  if (spec.kind === 'ssh' && spec.agent === undefined && agent) return { ...spec, agent }
  if ((spec.kind === 'slurm' || spec.kind === 'pbs') && typeof spec.login === 'object' && spec.login.agent === undefined && agent) return { ...spec, login: { ...spec.login, agent } }
  return spec
}

function noPassphrase(profile: string, node: NodeRecord): string {
  const file = node.ssh?.identityFile ? ` ${node.ssh.identityFile}` : ''
  return (
    `${node.name}: the controller of profile '${profile}' runs in another process, and the app does not send it a key's passphrase: ` +
    `load the key into ssh-agent (ssh-add${file}), tick "Use ssh-agent" in the node's SSH settings, and start it again`
  )
}

/** The attached controller's SSH failures, with what the app's user can do about them. */
function explain(err: Error, profile: string, node: NodeRecord): Error {
  if (err.name === 'SshKeyError') return new AttachedNodeError(`${err.message}\n${noPassphrase(profile, node)}`)
  if (err.name === 'HostKeyError' && !/CHANGED|@revoked/.test(err.message)) {
    err.message += `\nThe controller of profile '${profile}' cannot ask about it; it reads the trust store the app writes: check the fingerprint, trust the key here, and start again.`
  }
  return err
}
