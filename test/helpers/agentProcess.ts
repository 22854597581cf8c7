/**
 * Drives a real node agent process (resources/agent.cjs) over its stdio with the real codec, as
 * the controller does, for the agent/engine integration tests. Every process it starts is
 * recorded so `killAll()` can make sure none outlives a test.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { decodeFrame, encodeFrame } from '../../src-main/core/protocol/codec'
import {
  AGENT,
  PROTOCOL_VERSION,
  type AnyMessage,
  type HelloMessage,
  type RegisteredMessage,
  type ResultMessage,
  type TaskOp,
} from '../../src-main/core/protocol/messages'
import { StreamTransport } from '../../src-main/core/protocol/transport'

export const AGENT_BUNDLE = join(__dirname, '../../resources/agent.cjs')

export interface Received {
  engine: number
  message: AnyMessage
}

type Predicate = (received: Received) => boolean

const started = new Set<AgentProcess>()

export class AgentProcess {
  readonly child: ChildProcessWithoutNullStreams
  readonly transport: StreamTransport
  /** Messages not yet taken by `next` (results are routed to `task` callers instead). */
  private readonly inbox: Received[] = []
  private readonly waiters: Array<{ predicate: Predicate; resolve(r: Received): void }> = []
  private readonly results = new Map<number, (result: ResultMessage) => void>()
  private readonly earlyResults = new Map<number, ResultMessage>()
  /** Every engine pid this agent reported. */
  readonly enginePids = new Map<number, number>()
  readonly exited: Promise<{ code: number | null; signal: string | null }>
  stderr = ''
  closed = false
  private nextTaskId = 1

  private pinger: NodeJS.Timeout | null

  /**
   * `ping: false` leaves heartbeats out, to see the agent give up on a silent controller (or
   * `stopPinging()` later); `pingMs` is how often heartbeats go; `bundle` runs another copy of the agent file; `env` is added to the agent's environment.
   */
  constructor(args: string[] = [], { ping = true, pingMs = 1000, bundle = AGENT_BUNDLE, env = {} as Record<string, string> } = {}) {
    this.child = spawn(process.execPath, [bundle, ...args], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, ...env } })
    started.add(this)
    this.child.stderr.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()))
    this.exited = new Promise((resolve) => this.child.once('exit', (code, signal) => resolve({ code, signal })))
    this.transport = new StreamTransport(this.child.stdout, this.child.stdin)
    this.transport.setHandlers({
      onFrame: (frame) => this.receive(frame),
      onClose: () => (this.closed = true),
    })
    let seq = 0
    this.pinger = ping ? setInterval(() => this.send(AGENT, { type: 'ping', seq: --seq }), pingMs) : null
    this.pinger?.unref()
    void this.exited.then(() => this.pinger && clearInterval(this.pinger))
  }

  /** No more heartbeats from here on. */
  stopPinging(): void {
    if (this.pinger) clearInterval(this.pinger)
    this.pinger = null
  }

  send(engine: number, message: AnyMessage): void {
    this.transport.send(encodeFrame(engine, message, 'send'))
  }

  /** The next received message matching `predicate` (already received or yet to come). */
  next(predicate: Predicate, timeoutMs = 10_000, what = 'a message'): Promise<Received> {
    const i = this.inbox.findIndex(predicate)
    if (i >= 0) return Promise.resolve(this.inbox.splice(i, 1)[0])
    return new Promise((resolve, reject) => {
      const waiter = {
        predicate,
        resolve: (r: Received) => {
          clearTimeout(timer)
          resolve(r)
        },
      }
      const timer = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(waiter), 1)
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; agent stderr:\n${this.stderr}`))
      }, timeoutMs)
      this.waiters.push(waiter)
    })
  }

  nextOfType<T extends AnyMessage['type']>(type: T, engine = AGENT, timeoutMs?: number): Promise<Extract<AnyMessage, { type: T }>> {
    return this.next((r) => r.engine === engine && r.message.type === type, timeoutMs, `'${type}' from ${engine}`).then(
      (r) => r.message as Extract<AnyMessage, { type: T }>,
    )
  }

  /** Waits for the agent's hello and answers with ours (or another version). */
  async handshake(version = PROTOCOL_VERSION): Promise<HelloMessage> {
    const hello = await this.nextOfType('hello')
    this.send(AGENT, { type: 'hello', version })
    return hello
  }

  /** Starts engines and waits until each has registered. */
  async spawnEngines(ids: number[], options: { cwd?: string; env?: Record<string, string> } = {}): Promise<RegisteredMessage[]> {
    this.send(AGENT, { type: 'spawn', engines: ids, ...options })
    return Promise.all(
      ids.map(async (id) => {
        const started = await this.next((r) => r.message.type === 'engineStarted' && r.message.engine === id)
        this.enginePids.set(id, (started.message as { pid: number }).pid)
        return (await this.nextOfType('registered', id, 15_000)) as RegisteredMessage
      }),
    )
  }

  /** Sends a task to an engine without waiting; returns its id. */
  submit(engine: number, op: TaskOp): number {
    const id = this.nextTaskId++
    this.send(engine, { type: 'task', id, ...op } as AnyMessage)
    return id
  }

  result(id: number, timeoutMs = 15_000): Promise<ResultMessage> {
    const early = this.earlyResults.get(id)
    if (early) {
      this.earlyResults.delete(id)
      return Promise.resolve(early)
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.results.delete(id)
        reject(new Error(`timed out waiting for the result of task ${id}; agent stderr:\n${this.stderr}`))
      }, timeoutMs)
      this.results.set(id, (result) => {
        clearTimeout(timer)
        resolve(result)
      })
    })
  }

  task(engine: number, op: TaskOp, timeoutMs?: number): Promise<ResultMessage> {
    return this.result(this.submit(engine, op), timeoutMs)
  }

  /** Runs a task that must succeed and returns its value. */
  async value(engine: number, op: TaskOp): Promise<unknown> {
    const result = await this.task(engine, op)
    if (result.status !== 'ok') throw new Error(`task failed: ${JSON.stringify(result.error ?? result.status)}`)
    return result.value
  }

  /** SIGKILLs the agent and every engine it reported. */
  kill(): void {
    if (this.pinger) clearInterval(this.pinger)
    for (const pid of this.enginePids.values()) killQuietly(pid)
    if (this.child.pid !== undefined) killQuietly(this.child.pid)
  }

  private receive(frame: Uint8Array): void {
    const received = decodeFrame<AnyMessage>(frame) as Received
    const message = received.message
    if (message.type === 'result') {
      const waiter = this.results.get(message.id)
      if (waiter) {
        this.results.delete(message.id)
        waiter(message)
      } else {
        this.earlyResults.set(message.id, message)
      }
      return
    }
    const i = this.waiters.findIndex((w) => w.predicate(received))
    if (i >= 0) this.waiters.splice(i, 1)[0].resolve(received)
    else this.inbox.push(received)
  }
}

/** Kills every agent started by this test file, and its engines. */
export function killAll(): void {
  for (const agent of started) agent.kill()
  started.clear()
}

/** True while `pid` runs (a zombie waiting to be reaped counts as gone). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
  } catch (err) {
    return (err as NodeJS.ErrnoException).code !== 'ESRCH'
  }
  if (!existsSync('/proc/self/stat')) return true
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'))
  } catch {
    return false
  }
}

/** Resolves true once `pid` is gone, false if it still runs after `timeoutMs`. */
export async function gone(pid: number, timeoutMs = 5000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (!isAlive(pid)) return true
    await new Promise((r) => setTimeout(r, 25))
  }
  return !isAlive(pid)
}

function killQuietly(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL')
  } catch {
    // already gone
  }
}
