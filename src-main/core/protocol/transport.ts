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

/**
 * Adapts a Node readable/writable pair. Frames sent in one tick are corked into one write
 * (writev), which is what makes many small tasks per engine cheap.
 */
export class StreamTransport implements Transport {
  private handlers: TransportHandlers | null = null
  private readonly backlog: Uint8Array[]
  private reader: FrameReader | null = null
  private corked = false
  private closed = false

  /** `pending`: bytes already read from `input` (after a hello, say) that come before the rest. */
  constructor(
    private readonly input: ReadableLike,
    private readonly output: WritableLike,
    pending: Uint8Array[] = [],
  ) {
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
      process.nextTick(() => {
        this.corked = false
        this.output.uncork()
      })
    }
    for (const chunk of chunks) this.output.write(chunk)
  }

  close(): void {
    if (this.closed) return
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
