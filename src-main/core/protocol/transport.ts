import { FrameReader, type FrameSink } from './FrameReader'
import { READ_CHUNK } from './socketReads'

/**
 * The tiny interface every byte stream is adapted to (child stdio, an ssh2 channel, a socket, an
 * in-memory pair). Frames go out as chunk lists; frames come in whole.
 */
export interface Transport {
  send(chunks: Uint8Array[]): void
  /** Installs the frame handler (one per transport) and the optional streaming hook. */
  setHandlers(handlers: TransportHandlers): void
  /** Ends the stream; `onClose` follows. */
  close(): void
  /** Lets the process exit while this transport is open (and `ref` undoes it). */
  ref?(): void
  unref?(): void
}

export interface TransportHandlers {
  onFrame(frame: Uint8Array): void
  onFrameStart?(engine: number, size: number): FrameSink | null
  /** The stream ended or failed; called once. */
  onClose(error?: Error): void
}

interface ReadableLike {
  on(event: 'data', listener: (chunk: Buffer) => void): unknown
  on(event: 'end' | 'close', listener: () => void): unknown
  on(event: 'error', listener: (err: Error) => void): unknown
  ref?(): unknown
  unref?(): unknown
}

interface WritableLike {
  write(chunk: Uint8Array): boolean
  cork(): void
  uncork(): void
  end(): unknown
  on(event: 'error', listener: (err: Error) => void): unknown
  ref?(): unknown
  unref?(): unknown
}

/** Chunks smaller than this are copied into the tick's batch; larger ones are written as they are. */
const COPY_BELOW = 16 << 10
/** A batch this large is written at once rather than at the end of the tick. */
const BATCH_BYTES = 256 << 10

export interface StreamTransportOptions {
  /**
   * Copy the small frames sent in one tick into one buffer, written at the end of the tick (default
   * false: each frame is written at once, corked with the tick's others into one writev). Saves
   * the stream's per-write work on the task and result paths. Only for a stream that is ended
   * through `close()`: frames still batched when someone ends `output` directly are lost.
   */
  coalesce?: boolean
}

/**
 * Adapts a Node readable/writable pair. Frames sent in one tick go out as one writev (corked);
 * with `coalesce`, small chunks (a tiny task's or result's frame) are copied into one buffer, so
 * 64 tasks cost one stream write, not 64; large chunks (typed arrays) are never copied.
 */
export class StreamTransport implements Transport {
  private handlers: TransportHandlers | null = null
  private readonly backlog: Uint8Array[]
  private reader: FrameReader | null = null
  private corked = false
  private closed = false
  private readonly coalesce: boolean
  /** Small chunks of this tick, copied into one buffer when written (see `writeBatch`). */
  private readonly batch: Uint8Array[] = []
  private batchBytes = 0
  private readonly endTick = (): void => {
    this.writeBatch()
    this.corked = false
    this.output.uncork()
  }

  /** `pending`: bytes already read from `input` (after a hello, say) that come before the rest. */
  constructor(
    private readonly input: ReadableLike,
    private readonly output: WritableLike,
    pending: Uint8Array[] = [],
    options: StreamTransportOptions = {},
  ) {
    this.coalesce = options.coalesce === true
    this.backlog = pending.filter((chunk) => chunk.byteLength > 0)
    input.on('data', (chunk) => {
      if (!this.reader) this.backlog.push(chunk)
      else this.read(chunk)
    })
    input.on('end', () => this.finish())
    input.on('close', () => this.finish())
    input.on('error', (err) => this.finish(err))
    output.on('error', (err) => this.finish(err))
  }

  setHandlers(handlers: TransportHandlers): void {
    this.handlers = handlers
    this.reader = new FrameReader(handlers)
    for (const chunk of this.backlog.splice(0)) this.read(chunk)
  }

  send(chunks: Uint8Array[]): void {
    if (this.closed) return
    if (!this.corked) {
      this.corked = true
      this.output.cork()
      process.nextTick(this.endTick)
    }
    for (let i = 0; i < chunks.length; i++) {
      const chunk = chunks[i]
      if (!this.coalesce || chunk.byteLength >= COPY_BELOW) {
        this.writeBatch()
        this.output.write(chunk)
      } else {
        this.batch.push(chunk)
        this.batchBytes += chunk.byteLength
      }
    }
    if (this.batchBytes >= BATCH_BYTES) this.writeBatch()
  }

  close(): void {
    if (this.closed) return
    this.writeBatch()
    this.output.end()
  }

  /** Where the next bytes of `input` may be read to (see socketReads.ts and FrameReader.readBuffer). */
  readBuffer(): Uint8Array {
    return this.reader ? this.reader.readBuffer() : Buffer.allocUnsafeSlow(READ_CHUNK)
  }

  ref(): void {
    this.input.ref?.()
    this.output.ref?.()
  }

  unref(): void {
    this.input.unref?.()
    this.output.unref?.()
  }

  /** Writes the batched small chunks, in order, as one buffer. */
  private writeBatch(): void {
    const batch = this.batch
    if (batch.length === 0) return
    if (batch.length === 1) {
      this.output.write(batch[0])
    } else {
      const bytes = Buffer.allocUnsafe(this.batchBytes)
      let at = 0
      for (let i = 0; i < batch.length; i++) {
        bytes.set(batch[i], at)
        at += batch[i].byteLength
      }
      this.output.write(bytes)
    }
    batch.length = 0
    this.batchBytes = 0
  }

  private read(chunk: Uint8Array): void {
    try {
      this.reader!.push(chunk)
    } catch (err) {
      this.finish(err as Error)
      this.output.end()
    }
  }

  private finish(error?: Error): void {
    if (this.closed) return
    this.closed = true
    this.handlers?.onClose(error)
  }
}

/** One end of an in-memory pair: delivers whole copies of what the other end sends, asynchronously. */
class MemoryTransport implements Transport {
  peer: MemoryTransport | null = null
  private handlers: TransportHandlers | null = null
  private reader: FrameReader | null = null
  private open = true

  send(chunks: Uint8Array[]): void {
    if (!this.open) return
    let total = 0
    for (const c of chunks) total += c.byteLength
    const bytes = new Uint8Array(total)
    let at = 0
    for (const c of chunks) {
      bytes.set(c, at)
      at += c.byteLength
    }
    const peer = this.peer
    queueMicrotask(() => {
      if (peer?.open) peer.reader?.push(bytes)
    })
  }

  setHandlers(handlers: TransportHandlers): void {
    this.handlers = handlers
    this.reader = new FrameReader(handlers)
  }

  close(): void {
    this.end()
    queueMicrotask(() => this.peer?.end())
  }

  private end(): void {
    if (!this.open) return
    this.open = false
    queueMicrotask(() => this.handlers?.onClose())
  }
}

/** Two connected in-memory transports, for tests of everything above the byte stream. */
export function createTransportPair(): [Transport, Transport] {
  const a = new MemoryTransport()
  const b = new MemoryTransport()
  a.peer = b
  b.peer = a
  return [a, b]
}
