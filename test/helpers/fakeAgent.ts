/**
 * An in-process stand-in for a node agent and its engines, speaking the real protocol over an
 * in-memory transport pair. Core tests use it to drive Client, views and the scheduler
 * deterministically; the real agent is tested against real processes in test/integration.
 */
import { decodeFrame, encodeFrame, RemoteFunction } from '../../src-main/core/protocol/codec'
import { AGENT, PROTOCOL_VERSION, type AnyMessage, type TaskMessage, type ToAgent } from '../../src-main/core/protocol/messages'
import { createTransportPair, type Transport } from '../../src-main/core/protocol/transport'

export interface FakeAgentOptions {
  cores?: number
  version?: number
  /** Delay before each task's reply, per engine (ms); default 0. */
  delayMs?: (engine: number) => number
}

export class FakeAgent {
  readonly controllerSide: Transport
  private readonly side: Transport
  readonly received: TaskMessage[] = []
  /** Tasks held back (not answered) per engine, for abort and death tests. */
  readonly held = new Map<number, TaskMessage[]>()
  hold = false
  engines: number[] = []
  /** Signals the controller sent, in order; SIGKILL kills the engine as a real agent's would. */
  readonly signals: Array<{ engine: number; signal: string }> = []

  constructor(private readonly options: FakeAgentOptions = {}) {
    const [a, b] = createTransportPair()
    this.controllerSide = a
    this.side = b
    b.setHandlers({ onFrame: (f) => this.frame(f), onClose: () => {} })
  }

  send(engine: number, msg: AnyMessage): void {
    this.side.send(encodeFrame(engine, msg))
  }

  /** Sends any value as a message, well-formed or not (tests of what the controller accepts). */
  sendAny(engine: number, msg: unknown): void {
    this.side.send(encodeFrame(engine, msg as AnyMessage))
  }

  /** Sends bytes as they are: frames with a garbage body, say. */
  sendRaw(chunks: Uint8Array[]): void {
    this.side.send(chunks)
  }

  /** Reports an engine's death as the real agent does. */
  kill(engine: number, code = 1): void {
    this.held.delete(engine)
    this.send(AGENT, { type: 'engineExit', engine, code, signal: null, stderrTail: 'boom\n' })
  }

  /** Answers held tasks now. */
  release(engine: number): void {
    for (const t of this.held.get(engine) ?? []) void this.answer(engine, t)
    this.held.delete(engine)
  }

  close(): void {
    this.side.close()
  }

  private frame(frame: Uint8Array): void {
    const { engine, message } = decodeFrame<AnyMessage>(frame)
    if (engine === AGENT) return this.agentMessage(message as ToAgent)
    if (message.type === 'abort') {
      const held = this.held.get(engine) ?? []
      for (const id of message.ids) {
        const i = held.findIndex((t) => t.id === id)
        if (i >= 0) {
          held.splice(i, 1)
          this.send(engine, { type: 'result', id, status: 'aborted', started: Date.now(), completed: Date.now(), stdout: '', stderr: '' })
        }
      }
      return
    }
    if (message.type !== 'task') return
    this.received.push(message)
    if (this.hold) {
      const list = this.held.get(engine) ?? []
      list.push(message)
      this.held.set(engine, list)
      return
    }
    const delay = this.options.delayMs?.(engine) ?? 0
    if (delay > 0) setTimeout(() => void this.answer(engine, message), delay)
    else void this.answer(engine, message)
  }

  private agentMessage(msg: ToAgent): void {
    if (msg.type === 'hello') {
      this.send(AGENT, {
        type: 'hello',
        version: this.options.version ?? PROTOCOL_VERSION,
        agent: { pid: 1, host: 'fakehost', cores: this.options.cores ?? 2, nodeVersion: process.version, platform: 'linux' },
      })
    } else if (msg.type === 'spawn') {
      for (const id of msg.engines) {
        this.engines.push(id)
        this.send(AGENT, { type: 'engineStarted', engine: id, pid: 1000 + id })
        this.send(id, { type: 'registered', pid: 1000 + id, cwd: '/', nodeVersion: process.version })
      }
    } else if (msg.type === 'ping') this.send(AGENT, { type: 'pong', seq: msg.seq })
    else if (msg.type === 'signal') {
      this.signals.push({ engine: msg.engine, signal: msg.signal })
      if (msg.signal === 'SIGKILL') this.kill(msg.engine, 137)
    }
  }

  /** Runs `apply` and `map` tasks in-process (functions rebuilt from source); echoes the rest. */
  private async answer(engine: number, task: TaskMessage): Promise<void> {
    const started = Date.now()
    const reply = { type: 'result' as const, id: task.id, started, stdout: '', stderr: '' }
    try {
      let value: unknown
      if (task.op === 'apply' || task.op === 'map') {
        const fn = new Function(`return (${task.fn.source})`)() as (...a: unknown[]) => unknown
        const args = (task.op === 'apply' ? task.args : []).map((a) => (a instanceof RemoteFunction ? new Function(`return (${a.source})`)() : a))
        value =
          task.op === 'apply'
            ? await fn(...args, engine)
            : Array.from({ length: Math.min(...task.seqs.map((s) => s.length)) }, (_, i) => fn(...task.seqs.map((s) => s[i])))
      } else if (task.op === 'pull') value = task.names
      this.send(engine, { ...reply, status: 'ok', value, completed: Date.now() })
    } catch (err) {
      const e = err as Error
      this.send(engine, { ...reply, status: 'error', error: { ename: e.name, evalue: e.message, traceback: `${e.name}: ${e.message}` }, completed: Date.now() })
    }
  }
}
