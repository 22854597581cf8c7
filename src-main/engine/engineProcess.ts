/**
 * One engine as the agent sees it: the child process, the relay of frames to and from its fd 3
 * socket (streamed, never decoded), and the tail of its real stdout/stderr for crash reports.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import type { Socket } from 'node:net'
import { DIRECT_ENV } from '../core/protocol/directChannel'
import { FrameReader } from '../core/protocol/FrameReader'
import { LIVENESS_ENV, LIVENESS_FD } from './liveness'
import { withEngineMalloc } from './mallocTunables'
import type { Lane, OutputMux } from './outputMux'

const TAIL_CHARS = 4096
/** V8's last words: `FATAL ERROR: … heap out of memory` (Node 20), `# Fatal process out of memory: …`. */
const FATAL_LINE = /^(?:FATAL ERROR: |#\s*Fatal (?:JavaScript|process) )[^\n]*(?=\n)/m
/** Bytes queued on the engine's socket before the controller's stream is paused for it. */
export const INPUT_HIGH_WATER = 8 << 20
/** After the process exited, how long to wait for its pipes to deliver their last bytes. */
const EXIT_GRACE_MS = 200

export interface EngineSpawnOptions {
  /** Global engine id (the controller's). */
  id: number
  /** The bundle that engines run (this agent's own file). */
  bundlePath: string
  /** Working directory; `require` in the engine resolves from it. Default: the agent's. */
  cwd?: string
  /** Added to the agent's environment. Default: nothing added. */
  env?: Record<string, string>
  /** DIRECT_ENV for the engine: where its direct channel to the controller is (local nodes). */
  direct?: string
  /** `--max-old-space-size` for the engine, in MB. Default: Node's own. */
  maxHeapMB?: number
}

export interface EngineExit {
  code: number | null
  signal: string | null
  stderrTail: string
  fatal?: string
}

export interface EngineProcessHooks {
  /** Input was queued; the agent calls `flushInput()` once the current chunk is handled. */
  inputQueued(proc: EngineProcess): void
  /** More than INPUT_HIGH_WATER bytes wait on the engine's socket (see `drained`). */
  inputFull(proc: EngineProcess): void
  /** The engine sent its first frame: its startup is done (called once; not if it died first). */
  started?(proc: EngineProcess): void
}

export class EngineProcess {
  readonly id: number
  readonly child: ChildProcess
  /** Resolves once the process is gone and its last frames are queued for the controller. */
  readonly exited: Promise<EngineExit>
  private readonly socket: Socket
  private readonly lane: Lane
  private readonly reader: FrameReader
  /** When the engine's guard thread last beat (see liveness.ts); null before its first beat. */
  lastBeat: number | null = null
  private tail = ''
  private spoke = false
  /** V8's `FATAL ERROR` line, once seen (see EngineExit.fatal). */
  private fatal: string | undefined
  /** Bytes still to come of the engine's frame being relayed to the controller. */
  private remaining = 0
  /** Contiguous bytes for the engine waiting to be written (see writeInput). */
  private input: Uint8Array | null = null

  constructor(
    options: EngineSpawnOptions,
    private readonly mux: OutputMux,
    private readonly hooks: EngineProcessHooks,
  ) {
    this.id = options.id
    const heap = options.maxHeapMB ? [`--max-old-space-size=${options.maxHeapMB}`] : []
    this.child = spawn(process.execPath, [...heap, options.bundlePath, '--engine', String(options.id)], {
      cwd: options.cwd,
      env: withEngineMalloc({ ...process.env, ...options.env, ...(options.direct ? { [DIRECT_ENV]: options.direct } : {}), [LIVENESS_ENV]: String(LIVENESS_FD) }),
      stdio: ['ignore', 'pipe', 'pipe', 'pipe', 'pipe'],
    })
    this.socket = this.child.stdio[3] as Socket
    this.lane = mux.lane(this.socket)
    this.reader = new FrameReader({
      onFrame: () => {},
      onFrameStart: (_engine, size) => {
        if (!this.spoke) {
          this.spoke = true
          this.hooks.started?.(this)
        }
        this.remaining = size
        return this.relayPiece
      },
    })
    this.child.stdout!.on('data', this.keepTail)
    this.child.stderr!.on('data', this.keepTail)
    this.socket.on('data', (chunk: Buffer) => this.fromEngine(chunk))
    this.socket.on('error', () => {})
    const beats = this.child.stdio[LIVENESS_FD] as Socket | null
    beats?.on('data', () => (this.lastBeat = Date.now()))
    beats?.on('error', () => {})
    this.exited = this.watchExit()
  }

  get pid(): number | undefined {
    return this.child.pid
  }

  kill(signal: NodeJS.Signals): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal)
  }

  /** Queues bytes of a controller frame for this engine; `flushInput` writes them. */
  readonly writeInput = (piece: Uint8Array): void => {
    const last = this.input
    if (last === null) {
      this.input = piece
      this.hooks.inputQueued(this)
    } else if (last.buffer === piece.buffer && last.byteOffset + last.byteLength === piece.byteOffset) {
      this.input = new Uint8Array(last.buffer, last.byteOffset, last.byteLength + piece.byteLength)
    } else {
      this.flushInput()
      this.input = piece
      this.hooks.inputQueued(this)
    }
  }

  /** Writes queued input; reports a full socket so the agent pauses the controller's stream. */
  flushInput(): void {
    if (this.input === null) return
    const piece = this.input
    this.input = null
    if (this.socket.destroyed) return
    this.socket.write(piece)
    if (this.socket.writableLength > INPUT_HIGH_WATER) this.hooks.inputFull(this)
  }

  /** Resolves when the engine's socket has taken its queued input. */
  drained(): Promise<void> {
    if (this.socket.writableLength <= INPUT_HIGH_WATER || this.socket.destroyed) return Promise.resolve()
    return new Promise((resolve) => {
      const done = (): void => {
        this.socket.off('drain', done)
        this.socket.off('close', done)
        resolve()
      }
      this.socket.on('drain', done)
      this.socket.on('close', done)
    })
  }

  private readonly relayPiece = (piece: Uint8Array): void => {
    this.remaining -= piece.byteLength
    this.mux.add(this.lane, piece, this.remaining === 0)
  }

  private fromEngine(chunk: Buffer): void {
    try {
      this.reader.push(chunk)
    } catch (err) {
      // Something other than the engine wrote to fd 3: its stream cannot be trusted any more.
      this.keepTail(`\n[clusterdesk agent] ${(err as Error).message}\n`)
      this.socket.destroy()
      this.kill('SIGKILL')
    }
    this.mux.flush()
  }

  private readonly keepTail = (chunk: Buffer | string): void => {
    this.tail += chunk.toString()
    if (this.fatal === undefined) this.fatal = FATAL_LINE.exec(this.tail.slice(-TAIL_CHARS))?.[0]
    if (this.tail.length > 2 * TAIL_CHARS) this.tail = this.tail.slice(-TAIL_CHARS)
  }

  private watchExit(): Promise<EngineExit> {
    const pipesClosed = new Promise<void>((resolve) => this.child.once('close', () => resolve()))
    return new Promise<EngineExit>((resolve) => {
      const finish = async (code: number | null, signal: string | null): Promise<void> => {
        // Let the pipes deliver the last frames and crash output, but not forever: a grandchild
        // may hold them open.
        await Promise.race([pipesClosed, new Promise((r) => setTimeout(r, EXIT_GRACE_MS))])
        if (this.remaining > 0) {
          // The engine died inside a frame: complete it with zeros so the stream stays framed.
          this.mux.add(this.lane, new Uint8Array(this.remaining), true)
          this.remaining = 0
        }
        this.mux.close(this.lane)
        this.mux.flush()
        this.socket.destroy()
        resolve({ code, signal, stderrTail: this.tail.slice(-TAIL_CHARS), ...(this.fatal ? { fatal: this.fatal } : {}) })
      }
      this.child.once('exit', (code, signal) => void finish(code, signal))
      this.child.once('error', (err) => {
        if (this.child.pid !== undefined) return
        this.keepTail(`cannot start the engine: ${err.message}\n`)
        void finish(null, null)
      })
    })
  }
}
