/**
 * The engine: one process, one namespace, tasks run strictly one at a time in arrival order.
 *
 * Throughput comes from the controller pipelining many tasks: queued synchronous tasks run back
 * to back in one turn of the event loop, and StreamTransport corks their results into one write.
 */
import fs from 'node:fs'
import net from 'node:net'
import v8 from 'node:v8'
import { decodeFrame, encodeFrame, SerializationError, type RemoteFunction } from '../core/protocol/codec'
import type { RegisteredMessage, ResultMessage, StreamMessage, TaskMessage, ToEngine } from '../core/protocol/messages'
import { DIRECT_ENV, EngineChannels, parseDirectAddress, type DirectAddress } from '../core/protocol/directChannel'
import { checkToEngine } from '../core/protocol/guards'
import { readsInto } from '../core/protocol/socketReads'
import { StreamTransport, type Transport } from '../core/protocol/transport'
import { OutputCapture } from './capture'
import { Namespace } from './namespace'
import { Ops, Pending } from './ops'
import { LIVENESS_ENV } from './liveness'
import { startSigintGuard } from './sigintGuard'
import { CPU_PLACEHOLDER, TaskCpu } from './taskCpu'
import { INTERRUPTED, toWireError } from './traceback'

/** Longest stretch of back-to-back tasks before the engine lets I/O (aborts, replies) through. */
const SLICE_MS = 20
/** Longest wait to connect the direct channel before the engine stays on the relay. */
const DIRECT_CONNECT_TIMEOUT_MS = 3000

export class Engine {
  /** The tasks' CPU times (one reading per group of tasks run back to back), and their results' way out. */
  private readonly cpu: TaskCpu
  private readonly queue: Array<TaskMessage | null> = []
  private head = 0
  /** An async task is being awaited; nothing else runs. */
  private busy = false
  private scheduled = false
  private interruptAwait: (() => void) | null = null
  /** Told when an async task starts and stops being awaited (the SIGINT guard's cue). */
  onAwaiting: ((awaiting: boolean) => void) | null = null
  private readonly ops: Ops
  private readonly capture: OutputCapture
  private readonly pumpBound = (): void => this.pump()
  private readonly resumeBound = (): void => {
    this.busy = false
    this.pump()
  }
  private readonly reviveBound: (fn: RemoteFunction) => unknown

  constructor(
    private readonly id: number,
    private readonly transport: Transport,
    private readonly ns: Namespace,
    private readonly bundlePath: string,
  ) {
    this.ops = new Ops(ns)
    this.cpu = new TaskCpu((chunks) => transport.send(chunks))
    this.reviveBound = (fn) => ns.revive(fn)
    this.capture = new OutputCapture((message) => this.send(message))
    this.capture.install()
    transport.setHandlers({
      onFrame: (frame) => this.frame(frame),
      onClose: (error) => {
        // The agent closing fd 3 is the normal end; a failed channel is worth a line in the report.
        if (error) diagnostic(`exiting: ${error.message}`)
        process.exit(error ? 1 : 0)
      },
    })
  }

  /** Tells the controller (through the agent) that this engine is ready. */
  announce(): void {
    const heapLimitMB = Math.round(v8.getHeapStatistics().heap_size_limit / 2 ** 20)
    this.send({ type: 'registered', pid: process.pid, cwd: process.cwd(), nodeVersion: process.version, heapLimitMB })
  }

  /** SIGINT arrived while no interruptible code ran: fail the task being awaited, if any. */
  interrupt(): void {
    this.interruptAwait?.()
  }

  /** Output of async code that threw after its task, or while none ran; the engine lives on. */
  uncaught(thrown: unknown): void {
    const error = toWireError(thrown, this.bundlePath)
    this.capture.write('stderr', `Uncaught ${error.traceback}\n`)
  }

  /** When user code exits the process, what its task wrote goes to the crash report. */
  lastWords(): void {
    const words = this.capture.lastWords()
    if (words) diagnostic(`the running task wrote before the engine exited:\n${words}`)
  }

  private frame(frame: Uint8Array): void {
    let message: ToEngine
    try {
      message = decodeFrame<ToEngine>(frame, this.reviveBound).message
    } catch (err) {
      diagnostic(`dropped a frame that cannot be decoded: ${(err as Error).message}`)
      return
    }
    const problem = checkToEngine(message)
    if (problem) return this.invalid(message, problem)
    if (message.type === 'task') {
      this.queue.push(message)
      this.schedule()
    } else if (message.type === 'abort' && Array.isArray(message.ids)) {
      this.abort(message.ids)
    } else {
      diagnostic(`ignored a message of type ${JSON.stringify((message as { type?: unknown }).type)}`)
    }
  }

  /** An invalid task with a usable id fails (its caller would wait forever); anything else is dropped. */
  private invalid(message: unknown, problem: string): void {
    const task = message as { type?: unknown; id?: unknown } | null
    if (task?.type !== 'task' || !Number.isInteger(task.id) || (task.id as number) < 0) return diagnostic(`dropped an invalid message: ${problem}`)
    const now = Date.now()
    const evalue = `the engine cannot run this task: ${problem}`
    this.reply({ type: 'result', id: task.id as number, status: 'error', error: { ename: 'ProtocolError', evalue, traceback: `ProtocolError: ${evalue}` }, started: now, completed: now })
  }

  private schedule(): void {
    if (this.scheduled || this.busy) return
    this.scheduled = true
    // After the current chunk: every task in it is queued (and aborts applied) before any runs.
    queueMicrotask(this.pumpBound)
  }

  private pump(): void {
    this.scheduled = false
    if (this.busy) return
    const deadline = Date.now() + SLICE_MS
    while (this.head < this.queue.length) {
      const task = this.queue[this.head]
      this.queue[this.head++] = null
      if (task === null) continue
      const awaiting = this.run(task)
      if (awaiting !== null) {
        this.busy = true
        void awaiting.then(this.resumeBound)
        return this.compact()
      }
      if (Date.now() >= deadline && this.head < this.queue.length) {
        this.cpu.idle()
        // Two immediates: the second runs after the next poll phase, which reads pending aborts.
        this.scheduled = true
        setImmediate(() => setImmediate(this.pumpBound))
        return this.compact()
      }
    }
    this.cpu.idle()
    this.queue.length = 0
    this.head = 0
  }

  private compact(): void {
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue.splice(0, this.head)
      this.head = 0
    }
  }

  /** Runs one task; returns a promise when it must be awaited before the next may start. */
  private run(task: TaskMessage): Promise<void> | null {
    const started = Date.now()
    this.cpu.started()
    this.capture.begin(task.id)
    let value: unknown
    try {
      value = this.ops.run(task)
    } catch (err) {
      this.finish(task, started, 'error', err, false)
      return null
    }
    if (value instanceof Pending) {
      this.cpu.awaiting()
      return this.await(task, started, value)
    }
    this.finish(task, started, 'ok', value, false)
    return null
  }

  private await(task: TaskMessage, started: number, pending: Pending): Promise<void> {
    return new Promise<void>((resolve) => {
      let settled = false
      const settle = (status: 'ok' | 'error', value: unknown): void => {
        if (settled) return
        settled = true
        this.interruptAwait = null
        this.onAwaiting?.(false)
        this.finish(task, started, status, value, true)
        resolve()
      }
      this.interruptAwait = () => {
        pending.cancelled = true
        settle('error', INTERRUPTED)
      }
      this.onAwaiting?.(true)
      pending.promise.then(
        (value) => settle('ok', value),
        (err) => settle('error', err),
      )
    })
  }

  /** `awaited`: the task was awaited (its CPU time is read now), else it ran in the pump's loop. */
  private finish(task: TaskMessage, started: number, status: 'ok' | 'error', outcome: unknown, awaited: boolean): void {
    const executeResult = this.ops.executeResult
    this.capture.end()
    const result: ResultMessage = {
      type: 'result',
      id: task.id,
      status,
      started,
      completed: Date.now(),
    }
    // Output only when there is some: a tiny task's result is two fields smaller to write and read.
    const { stdout, stderr } = this.capture
    if (stdout !== '') result.stdout = stdout
    if (stderr !== '') result.stderr = stderr
    if (status === 'ok') result.value = outcome
    else result.error = outcome === INTERRUPTED ? INTERRUPTED : toWireError(outcome, this.bundlePath)
    if (executeResult !== undefined) result.executeResult = executeResult
    // Last, so that it can be filled in once known (see TaskCpu).
    result.cpuMs = awaited ? this.cpu.awaitedCpuMs() : CPU_PLACEHOLDER
    const chunks = this.encodeResult(result)
    if (!awaited) return this.cpu.ended(chunks)
    this.cpu.flush()
    this.transport.send(chunks)
  }

  /** A result's frame; one that cannot be encoded becomes a SerializationError, never a crash. */
  private encodeResult(result: ResultMessage): Uint8Array[] {
    try {
      return encodeFrame(this.id, result, 'reject')
    } catch (err) {
      const ename = err instanceof SerializationError ? 'SerializationError' : 'Error'
      const evalue = `the result cannot be sent back: ${(err as Error)?.message ?? String(err)}`
      const { type, id, started, completed, stdout, stderr, executeResult, cpuMs } = result
      const error = { ename, evalue, traceback: `${ename}: ${evalue}` }
      const output = { ...(stdout === undefined ? {} : { stdout }), ...(stderr === undefined ? {} : { stderr }) }
      return encodeFrame(this.id, { type, id, status: 'error', started, completed, ...output, error, ...(executeResult === undefined ? {} : { executeResult }), cpuMs }, 'reject')
    }
  }

  /** Sends a result that carries no CPU time (an aborted or invalid task), after those waiting for theirs. */
  private reply(result: ResultMessage): void {
    this.cpu.flush()
    this.transport.send(this.encodeResult(result))
  }

  private abort(ids: number[]): void {
    const wanted = new Set(ids)
    for (let i = this.head; i < this.queue.length; i++) {
      const task = this.queue[i]
      if (task === null || !wanted.has(task.id)) continue
      this.queue[i] = null
      const now = Date.now()
      this.reply({ type: 'result', id: task.id, status: 'aborted', started: now, completed: now })
    }
  }

  private send(message: StreamMessage | RegisteredMessage): void {
    this.cpu.flush()
    this.transport.send(encodeFrame(this.id, message, 'reject'))
  }
}

/** Writes to the engine's real stderr, which the agent keeps for crash reports. */
export function diagnostic(text: string): void {
  try {
    fs.writeSync(2, `[clusterdesk engine ${process.pid}] ${text}\n`)
  } catch {
    // stderr is gone: nothing left to tell.
  }
}

/** Runs this process as engine `id`, speaking the protocol on fd 3 (set up by the agent). */
export function runEngine(id: number, bundlePath: string): void {
  let engine: Engine | null = null
  const guard = startSigintGuard(() => engine?.interrupt(), diagnostic, livenessFd())
  let socket: net.Socket | null = null
  let relay: StreamTransport | null = null
  try {
    // The constructor takes `onread` (Node >= 12.12), though @types/node lists it only for connect.
    const reads = { onread: readsInto(() => relay, () => socket) }
    socket = new net.Socket({ fd: 3, readable: true, writable: true, ...reads })
  } catch (err) {
    diagnostic(`engines are started by the clusterdesk agent, which gives them fd 3 (${(err as Error).message})`)
    process.exit(2)
  }
  // Coalesced: the engine's streams end only through close() (or with the process).
  relay = new StreamTransport(socket, socket, [], { coalesce: true })
  const rawAddress = process.env[DIRECT_ENV]
  // User code (and what it starts) has no business with the channel's token.
  delete process.env[DIRECT_ENV]
  const address = parseDirectAddress(rawAddress)
  if (rawAddress && !address) diagnostic(`ignored a malformed ${DIRECT_ENV}; speaking through the agent only`)
  const channels = address ? new EngineChannels(relay) : null
  const ready = new Engine(id, channels ?? relay, new Namespace(process.cwd()), bundlePath)
  engine = ready
  ready.onAwaiting = guard.setAwaiting
  process.on('uncaughtException', (err) => ready.uncaught(err))
  process.on('unhandledRejection', (reason) => ready.uncaught(reason))
  process.on('exit', () => ready.lastWords())
  const connected = channels && address ? connectDirect(id, address, channels) : Promise.resolve()
  void Promise.all([guard.armed, connected]).then(() => ready.announce())
}

/**
 * Connects the direct channel to the controller; resolves once the engine's output has its way,
 * direct or (when connecting fails) the relay. Until then what the engine sends waits in order.
 */
function connectDirect(id: number, address: DirectAddress, channels: EngineChannels): Promise<void> {
  return new Promise((resolve) => {
    let transport: StreamTransport | null = null
    const socket: net.Socket = net.connect({ path: address.path, onread: readsInto(() => transport, () => socket) })
    const fail = (why: string): void => {
      clearTimeout(timer)
      socket.destroy()
      diagnostic(`no direct channel to the controller (${why}); speaking through the agent only`)
      channels.useRelay()
      resolve()
    }
    const onError = (err: Error): void => fail(err.message)
    const timer = setTimeout(() => fail(`no connection within ${DIRECT_CONNECT_TIMEOUT_MS} ms`), DIRECT_CONNECT_TIMEOUT_MS)
    socket.once('error', onError)
    socket.once('connect', () => {
      clearTimeout(timer)
      socket.off('error', onError)
      transport = new StreamTransport(socket, socket, [], { coalesce: true })
      channels.useDirect(
        transport,
        encodeFrame(id, { type: 'directHello', engine: id, token: address.token }),
        encodeFrame(id, { type: 'directOpened' }),
      )
      resolve()
    })
  })
}

/** The agent's liveness pipe (LIVENESS_ENV), taken out of the environment user code sees. */
function livenessFd(): number | null {
  const fd = Number(process.env[LIVENESS_ENV])
  delete process.env[LIVENESS_ENV]
  return Number.isInteger(fd) && fd > 2 ? fd : null
}
