/**
 * The node agent: one per node, speaking the protocol on its stdin/stdout. It starts the node's
 * engines, relays their frames both ways without decoding them, reports an engine's exit at once,
 * delivers interrupts as signals, answers heartbeats, and kills its engines and exits when its
 * stream ends, heartbeats stop or the controller asks — no orphaned process on any node.
 */
import { Console } from 'node:console'
import { rmSync } from 'node:fs'
import os from 'node:os'
import { basename, dirname } from 'node:path'
import { decodeFrame, encodeFrame } from '../core/protocol/codec'
import { DIRECT_ENV, parseDirectAddress } from '../core/protocol/directChannel'
import type { FrameSink } from '../core/protocol/FrameReader'
import { checkToAgent } from '../core/protocol/guards'
import { AGENT, PROTOCOL_VERSION, type FromAgent, type HelloMessage, type SignalMessage, type SpawnMessage, type ToAgent } from '../core/protocol/messages'
import { StreamTransport } from '../core/protocol/transport'
import { engineCapacity } from './capacity'
import { EngineProcess } from './engineProcess'
import { LivenessWatch } from './liveness'
import { OutputMux } from './outputMux'
import { SpawnQueue } from './spawnQueue'

export interface AgentOptions {
  /** The bundle engines run: this agent's own file. */
  bundlePath: string
  /** Stop every engine and exit after this many ms without a ping; 0 disables. Default 15000. */
  heartbeatTimeout?: number
  /**
   * DIRECT_ENV from a local launcher: passed on to the engines, which then send their data to the
   * controller directly. Default: none (engines speak through this agent only).
   */
  direct?: string
}

const SIGNALS = new Set<string>(['SIGINT', 'SIGTERM', 'SIGKILL'])
/** Longest wait for SIGKILLed engines to be reaped before the agent exits anyway. */
const STOP_TIMEOUT_MS = 5000
const DISCARD: FrameSink = () => {}

type Input = NodeJS.ReadableStream & { pause(): unknown; resume(): unknown }

export class Agent {
  private readonly transport: StreamTransport
  private readonly mux: OutputMux
  private readonly engines = new Map<number, EngineProcess>()
  /** Engines given input in the chunk being handled. */
  private readonly touched = new Set<EngineProcess>()
  /** Engines whose socket is too full: the controller's stream is paused until they drain. */
  private readonly full = new Set<EngineProcess>()
  private readonly spawns = new SpawnQueue<EngineProcess>(cores(), (id, message) => this.startEngine(id, message))
  private readonly liveness = new LivenessWatch((engine, responding, silentMs) =>
    this.send({ type: 'engineLiveness', engine, responding, silentMs }),
  )
  private greeted = false
  private heartbeat: NodeJS.Timeout | null = null
  private stopping = false

  constructor(
    private readonly input: Input,
    private readonly output: NodeJS.WriteStream,
    private readonly options: AgentOptions,
  ) {
    this.transport = new StreamTransport(input, output)
    this.mux = new OutputMux({
      send: (chunks) => this.transport.send(chunks),
      get writableLength() {
        return output.writableLength
      },
      once: (event, listener) => output.once(event, listener),
    })
    this.transport.setHandlers({
      onFrame: (frame) => this.frame(frame),
      onFrameStart: (engine) => this.route(engine),
      onClose: (error) => void this.stop(error ? `the stream failed: ${error.message}` : 'the controller closed the stream', 0),
    })
    // Runs after the transport's own 'data' listener has cut the chunk into frames.
    input.on('data', () => this.flushInput())
  }

  start(): void {
    const timeout = this.options.heartbeatTimeout ?? 15000
    if (timeout > 0) {
      this.heartbeat = setTimeout(() => void this.stop(`no ping from the controller for ${timeout} ms`, 1), timeout)
    }
    this.send({
      type: 'hello',
      version: PROTOCOL_VERSION,
      agent: {
        pid: process.pid,
        host: os.hostname(),
        cores: cores(),
        nodeVersion: process.version,
        platform: process.platform,
        capacity: engineCapacity(),
      },
    })
  }

  /** Kills every engine, waits for them to be gone, then exits the process. */
  async stop(reason: string, exitCode: number): Promise<void> {
    if (this.stopping) return
    this.stopping = true
    this.spawns.close()
    if (this.heartbeat) clearTimeout(this.heartbeat)
    console.error(`clusterdesk agent: ${reason}; stopping ${this.engines.size} engine(s)`)
    const procs = [...this.engines.values()]
    for (const proc of procs) proc.kill('SIGKILL')
    let timer: NodeJS.Timeout | undefined
    await Promise.race([
      Promise.all(procs.map((proc) => proc.exited)),
      new Promise((resolve) => (timer = setTimeout(resolve, STOP_TIMEOUT_MS))),
    ])
    clearTimeout(timer)
    this.removeDirectDir()
    // Let the last messages (engineExit, agentError) out before exiting.
    setImmediate(() => {
      setTimeout(() => process.exit(exitCode), 1000).unref()
      this.output.write('', () => process.exit(exitCode))
    })
  }

  /**
   * The launcher's socket directory goes with its agent; the launcher removes it too, but cannot
   * when the controller was SIGKILLed. Only a directory that looks like the launcher's is touched.
   */
  private removeDirectDir(): void {
    const address = parseDirectAddress(this.options.direct)
    if (!address || process.platform === 'win32') return
    const dir = dirname(address.path)
    if (!basename(dir).startsWith('clusterdesk-')) return
    try {
      rmSync(dir, { recursive: true, force: true })
    } catch {
      // Already gone, or not ours to remove.
    }
  }

  private route(engine: number): FrameSink | null {
    if (engine === AGENT) return null
    const proc = this.engines.get(engine)
    // Frames for an engine that is gone are dropped; the controller has its engineExit.
    return proc === undefined ? DISCARD : proc.writeInput
  }

  private flushInput(): void {
    for (const proc of this.touched) proc.flushInput()
    this.touched.clear()
  }

  private inputFull(proc: EngineProcess): void {
    if (this.full.has(proc)) return
    this.full.add(proc)
    this.input.pause()
    void proc.drained().then(() => {
      this.full.delete(proc)
      if (this.full.size === 0 && !this.stopping) this.input.resume()
    })
  }

  private frame(frame: Uint8Array): void {
    let message: ToAgent
    try {
      message = decodeFrame<ToAgent>(frame).message
    } catch (err) {
      return this.error(`cannot decode a message for the agent: ${(err as Error).message}`)
    }
    const problem = checkToAgent(message)
    if (problem) return this.error(`dropped an invalid message: ${problem}`)
    if (!this.greeted && message.type !== 'hello') {
      return this.error(`expected the controller's hello first, got '${message.type}'; ignored`)
    }
    try {
      this.dispatch(message)
    } catch (err) {
      // A malformed request must not take the stream (and every engine) down with it.
      this.error(`cannot handle '${message.type}': ${(err as Error).message}`)
    }
  }

  private dispatch(message: ToAgent): void {
    switch (message.type) {
      case 'hello':
        return this.hello(message)
      case 'spawn':
        return this.spawn(message)
      case 'signal':
        return this.signal(message)
      case 'ping':
        this.heartbeat?.refresh()
        return this.send({ type: 'pong', seq: message.seq })
      case 'shutdown':
        return void this.stop('the controller asked to shut down', 0)
      default:
        return this.error(`unknown message type '${(message as { type: unknown }).type}' for the agent`)
    }
  }

  private hello(message: HelloMessage): void {
    if (message.version === PROTOCOL_VERSION) {
      this.greeted = true
      return
    }
    this.error(
      `protocol version mismatch: the controller speaks version ${message.version}, this agent ` +
        `(${this.options.bundlePath}) speaks version ${PROTOCOL_VERSION}; use the same clusterdesk ` +
        `version on both ends (the SSH launcher uploads the matching agent)`,
    )
    void this.stop('protocol version mismatch', 2)
  }

  private spawn(message: SpawnMessage): void {
    if (this.stopping) return
    if (!Array.isArray(message.engines)) return this.error('spawn needs `engines`, an array of engine ids')
    for (const id of message.engines) {
      if (!Number.isInteger(id) || id < 0) {
        this.error(`cannot start engine ${JSON.stringify(id)}: engine ids are integers >= 0`)
        continue
      }
      const running = this.engines.get(id)
      if (running) {
        this.error(`cannot start engine ${id}: it is already running on this node (pid ${running.pid})`)
        continue
      }
      if (this.spawns.has(id)) {
        this.error(`cannot start engine ${id}: it is already starting on this node`)
        continue
      }
      this.spawns.add(id, message)
    }
    this.spawns.pump()
  }

  private startEngine(id: number, message: SpawnMessage): EngineProcess | null {
    let proc: EngineProcess
    try {
      proc = new EngineProcess(
        { id, bundlePath: this.options.bundlePath, cwd: message.cwd, env: message.env, direct: this.options.direct, maxHeapMB: heapOption(message.maxHeapMB) },
        this.mux,
        {
          inputQueued: (queued) => this.touched.add(queued),
          inputFull: (full) => this.inputFull(full),
          started: (started) => this.spawns.started(started),
        },
      )
    } catch (err) {
      this.error(`cannot start engine ${id}: ${(err as Error).message}`)
      return null
    }
    this.engines.set(id, proc)
    this.liveness.watch(proc, positive(message.notRespondingMs))
    if (proc.pid !== undefined) this.send({ type: 'engineStarted', engine: id, pid: proc.pid })
    void proc.exited.then((exit) => {
      if (this.engines.get(id) === proc) this.engines.delete(id)
      this.touched.delete(proc)
      this.liveness.forget(proc)
      this.spawns.started(proc)
      if (proc.pid === undefined) this.error(`cannot start engine ${id}: ${exit.stderrTail.trim()}`)
      this.send({ type: 'engineExit', engine: id, ...exit })
    })
    return proc
  }

  private signal(message: SignalMessage): void {
    const proc = this.engines.get(message.engine)
    if (!SIGNALS.has(message.signal)) return this.error(`refusing to send ${message.signal}: only SIGINT, SIGTERM and SIGKILL`)
    if (message.signal !== 'SIGINT' && this.spawns.remove(message.engine)) {
      // Stopped before its turn to start: it never runs.
      this.send({ type: 'engineExit', engine: message.engine, code: null, signal: message.signal, stderrTail: '' })
      return
    }
    if (!proc) return this.error(`cannot send ${message.signal} to engine ${message.engine}: no such engine on this node`)
    proc.kill(message.signal)
  }

  private error(message: string): void {
    this.send({ type: 'agentError', message })
  }

  private send(message: FromAgent): void {
    this.mux.sendFrame(encodeFrame(AGENT, message))
  }
}

function cores(): number {
  return typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length
}

/** A spawn request's heap size, when it is one `--max-old-space-size` takes. */
function heapOption(mb: unknown): number | undefined {
  return Number.isInteger(mb) && (mb as number) > 0 ? (mb as number) : undefined
}

function positive(ms: unknown): number | undefined {
  return typeof ms === 'number' && ms > 0 ? ms : undefined
}

/** Runs this process as the node agent on stdin/stdout. */
export function runAgent(options: AgentOptions): void {
  // stdout carries the protocol and nothing else.
  globalThis.console = new Console({ stdout: process.stderr, stderr: process.stderr })
  // Kept out of the environment: only the engines, not other children, may see the token.
  const direct = options.direct ?? process.env[DIRECT_ENV]
  delete process.env[DIRECT_ENV]
  const agent = new Agent(process.stdin, process.stdout, { ...options, direct })
  for (const signal of ['SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => void agent.stop(`received ${signal}`, 0))
  }
  agent.start()
}
