import { FrameReader, type FrameRelay, type FrameSink } from './FrameReader'
import { WriteBatch } from './WriteBatch'

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
  /** Whose results may be placed as they arrive (see FrameReaderHandlers). */
  placeable?(taskId: number): boolean
  relay?: FrameRelay
  readChunkBytes?: number
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
  /** With `coalesce`: this tick's chunks, small ones copied together (see WriteBatch). */
  private readonly batch: WriteBatch | null
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
    this.batch = options.coalesce === true ? new WriteBatch() : null
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
    // Corked either way: nothing leaves before the tick ends.
    if (this.batch) this.batch.add(chunks)
    else for (let i = 0; i < chunks.length; i++) this.output.write(chunks[i])
  }

  close(): void {
    if (this.closed) return
    this.writeBatch()
    this.output.end()
  }

  /** Where the next bytes of `input` may be read to (see socketReads.ts and FrameReader.readBuffer). */
  readBuffer(): Uint8Array | null {
    return this.reader ? this.reader.readBuffer() : null
  }

  ref(): void {
    this.input.ref?.()
    this.output.ref?.()
  }

  unref(): void {
    this.input.unref?.()
    this.output.unref?.()
  }

  /** Writes the batched chunks, in order. */
  private writeBatch(): void {
    if (!this.batch || this.batch.empty) return
    for (const chunk of this.batch.take()) this.output.write(chunk)
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
