/**
 * An in-process node agent whose engines each own a real `vm` context, speaking the real
 * protocol over an in-memory transport pair. It runs every task op (execute, push, pull, apply,
 * map) the way an engine does — functions re-created from source inside the engine's namespace —
 * so the π modes can be tested quickly and deterministically without engine processes.
 * Tasks run one at a time, synchronously: there is no parallelism here, only the semantics.
 */
import vm from 'node:vm'
import { Client } from '../../../src-main/core/client/Client'
import { NodeConnection } from '../../../src-main/core/client/NodeConnection'
import { decodeFrame, encodeFrame, frameEngine, type RemoteFunction } from '../../../src-main/core/protocol/codec'
import { AGENT, PROTOCOL_VERSION, type AnyMessage, type TaskMessage, type ToAgent } from '../../../src-main/core/protocol/messages'
import { createTransportPair, type Transport } from '../../../src-main/core/protocol/transport'

export class VmAgent {
  readonly controllerSide: Transport
  private readonly side: Transport
  private readonly contexts = new Map<number, vm.Context>()
  /** Every task received, with the engine it was sent to. */
  readonly received: Array<{ engine: number; task: TaskMessage }> = []

  constructor() {
    const [a, b] = createTransportPair()
    this.controllerSide = a
    this.side = b
    b.setHandlers({ onFrame: (f) => this.frame(f), onClose: () => {} })
  }

  close(): void {
    this.side.close()
  }

  private send(engine: number, msg: AnyMessage): void {
    this.side.send(encodeFrame(engine, msg))
  }

  private frame(frame: Uint8Array): void {
    const engine = frameEngine(frame)
    const context = this.contexts.get(engine)
    const revive = (fn: RemoteFunction): unknown => (context ? vm.runInContext(`(${fn.source})`, context) : fn)
    const { message } = decodeFrame<AnyMessage>(frame, revive)
    if (engine === AGENT) return this.agentMessage(message as ToAgent)
    if (message.type !== 'task' || !context) return
    this.received.push({ engine, task: message })
    const started = Date.now()
    const reply = { type: 'result' as const, id: message.id, started, stdout: '', stderr: '' }
    try {
      const value = this.run(context, message)
      this.send(engine, { ...reply, status: 'ok', value, completed: Date.now() })
    } catch (err) {
      const e = err as Error
      this.send(engine, { ...reply, status: 'error', error: { ename: e.name, evalue: e.message, traceback: `${e.name}: ${e.message}` }, completed: Date.now() })
    }
  }

  private run(context: vm.Context, task: TaskMessage): unknown {
    const fn = (source: { source: string }): ((...a: unknown[]) => unknown) => vm.runInContext(`(${source.source})`, context)
    switch (task.op) {
      case 'execute':
        vm.runInContext(task.code, context)
        return undefined
      case 'push':
        Object.assign(context, task.ns)
        return undefined
      case 'pull':
        return Array.isArray(task.names) ? task.names.map((n) => context[n]) : context[task.names]
      case 'apply':
        return fn(task.fn)(...task.args)
      case 'map': {
        const f = fn(task.fn)
        const length = Math.min(...task.seqs.map((s) => s.length))
        return Array.from({ length }, (_, i) => f(...task.seqs.map((s) => s[i])))
      }
      default:
        throw new Error(`the vm agent does not run ${task.op}`)
    }
  }

  private agentMessage(msg: ToAgent): void {
    if (msg.type === 'hello') {
      this.send(AGENT, { type: 'hello', version: PROTOCOL_VERSION, agent: { pid: 1, host: 'vmhost', cores: 2, nodeVersion: process.version, platform: 'linux' } })
    } else if (msg.type === 'spawn') {
      for (const id of msg.engines) {
        this.contexts.set(id, vm.createContext({}))
        this.send(AGENT, { type: 'engineStarted', engine: id, pid: 1000 + id })
        this.send(id, { type: 'registered', pid: 1000 + id, cwd: '/', nodeVersion: process.version })
      }
    } else if (msg.type === 'ping') this.send(AGENT, { type: 'pong', seq: msg.seq })
  }
}

/** A Client over a VmAgent with `engines` engines; close the agent when done. */
export async function startVmClient(engines: number): Promise<{ rc: Client; agent: VmAgent }> {
  const agent = new VmAgent()
  const node = new NodeConnection(agent.controllerSide, { label: 'vm' })
  await node.handshake(1000)
  const rc = new Client()
  rc.attach(node)
  const ids = Array.from({ length: engines }, (_, i) => i)
  rc.expectEngines(node, ids)
  node.spawn(ids)
  await rc.waitForEngines(ids, 1000)
  return { rc, agent }
}
