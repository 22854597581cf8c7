import { FRAME_HEADER_BYTES as HEADER, MAX_FRAME_BYTES, frameRawStart } from './codec'
import { PLACEMENT_MIN_BYTES, ownClientTask, placeFrame, placementWanted, type FramePlacement } from './placement'
import { AGENT } from './messages'
import { freshReadChunk } from './socketReads'

/** Receives the bytes of one frame as they arrive, for relays that forward without reassembling. */
export type FrameSink = (bytes: Uint8Array) => void

export interface FrameReaderHandlers {
  /** A whole frame: its own memory, or a view into a chunk (chunks are never reused). */
  onFrame(frame: Uint8Array): void
  /**
   * Called when a frame's header has arrived; returning a sink streams that frame's bytes (header
   * included) to it instead of reassembling it. Lets the agent relay large frames with no copy.
   */
  onFrameStart?(engine: number, size: number): FrameSink | null
  /** Whose results this stream's frames may be placed for (see placeFrame); default: ownClientTask. */
  placeable?(taskId: number): boolean
  /** Offered each large frame once its head is in, before placement (the controller's relays). */
  relay?: FrameRelay
  /**
   * How large a fresh chunk `readBuffer` gives between large frames (default 64 KiB). Smaller
   * suits a stream of mostly small messages: each read's chunk is a new allocation.
   */
  readChunkBytes?: number
}

/**
 * Takes large frames it wants, decided from their head (header and body, before the raw
 * sections: see codec readFrameHead): the sink gets the head, then the rest as it arrives, and
 * the frame is not received here. Asked only while `wanted()`.
 */
export interface FrameRelay {
  wanted(): boolean
  sink(head: Uint8Array, size: number): FrameSink | null
}

export { MAX_FRAME_BYTES }
/** Largest engine id in a frame header; with the length checks it makes text fail as a header. */
const MAX_ENGINE_ID = 2 ** 24

/** Raised when the bytes are not clusterdesk frames. */
export class CorruptStreamError extends Error {
  override name = 'CorruptStreamError'
}

interface Partial {
  size: number
  filled: number
  frame: Uint8Array | null
  sink: FrameSink | null
  /** A large frame's header and body, collected to offer it for placement (see placeFrame). */
  head: Uint8Array | null
  /** Where a placed frame's raw bytes go (its `frame` is then the head alone). */
  targets: FramePlacement['targets'] | null
}

/** A body longer than this is not collected for placement (results' bodies are small). */
const PLACEMENT_MAX_HEAD = 1 << 16
/** Less of a frame than this left to read is read as an ordinary chunk. */
const READ_INTO_MIN = 65536

/** Cuts a byte stream into frames, tolerant of any chunking. */
export class FrameReader {
  private readonly header = new Uint8Array(HEADER)
  private headerBytes = 0
  private current: Partial | null = null
  private readonly placeable: (taskId: number) => boolean

  constructor(private readonly handlers: FrameReaderHandlers) {
    this.placeable = handlers.placeable ? (id) => handlers.placeable!(id) : ownClientTask
  }

  /** True between frames: no partial frame is buffered. */
  get idle(): boolean {
    return this.current === null && this.headerBytes === 0
  }

  /**
   * Where the next bytes of the stream may be read to, for sockets that read into buffers they
   * are given (see socketReads.ts): the rest of the large frame (or placed section) being
   * received, which `push` then finds in place and does not copy; else null: read anywhere.
   */
  readBuffer(): Uint8Array | null {
    const current = this.current
    if (current && !current.sink && !current.head && current.size - current.filled >= READ_INTO_MIN) {
      if (!current.targets) return current.frame!.subarray(current.filled, current.size)
      const target = current.targets.find((t) => t.at <= current.filled && current.filled < t.at + t.bytes.byteLength)
      if (target && target.at + target.bytes.byteLength - current.filled >= READ_INTO_MIN) return target.bytes.subarray(current.filled - target.at)
    }
    return this.handlers.readChunkBytes ? freshReadChunk(this.handlers.readChunkBytes) : null
  }

  push(chunk: Uint8Array): void {
    let offset = 0
    while (offset < chunk.byteLength) {
      if (this.current) {
        offset = this.fill(chunk, offset)
        continue
      }
      const available = chunk.byteLength - offset
      if (this.headerBytes > 0 || available < HEADER) {
        // A header split across chunks: collect it, then start the frame from the copy.
        const take = Math.min(HEADER - this.headerBytes, available)
        this.header.set(chunk.subarray(offset, offset + take), this.headerBytes)
        this.headerBytes += take
        offset += take
        if (this.headerBytes < HEADER) return
        this.headerBytes = 0
        this.begin(this.header.slice(), 0, HEADER)
        continue
      }
      const size = readSize(chunk, offset)
      const sink = this.handlers.onFrameStart?.(readEngine(chunk, offset), size) ?? null
      if (!sink && available >= size && (chunk.byteOffset + offset) % 8 === 0) {
        // Whole and aligned: typed arrays can be views onto it, no copy needed.
        this.handlers.onFrame(chunk.subarray(offset, offset + size))
        offset += size
        continue
      }
      offset += this.begin(chunk, offset, available, sink)
    }
  }

  /** Starts a frame whose header is at `offset`; returns how many bytes of `source` it took. */
  private begin(source: Uint8Array, offset: number, available: number, sink?: FrameSink | null): number {
    const size = readSize(source, offset)
    if (sink === undefined) sink = this.handlers.onFrameStart?.(readEngine(source, offset), size) ?? null
    if (!sink && size >= PLACEMENT_MIN_BYTES && (placementWanted() || this.handlers.relay?.wanted() === true)) {
      // A large frame someone may want placed: collect its head first, then decide (see place).
      const rawStart = frameRawStart(source.subarray(offset, offset + HEADER))
      if (rawStart <= PLACEMENT_MAX_HEAD && rawStart < size) {
        this.current = { size, filled: 0, frame: null, sink: null, head: new Uint8Array(rawStart), targets: null }
        return this.fill(source, offset) - offset
      }
    }
    const take = Math.min(size, available)
    const piece = source.subarray(offset, offset + take)
    let frame: Uint8Array | null = null
    if (sink) sink(piece)
    else {
      frame = frameMemory(size)
      frame.set(piece)
    }
    this.current = { size, filled: take, frame, sink, head: null, targets: null }
    if (take === size) this.finish()
    return take
  }

  private fill(chunk: Uint8Array, offset: number): number {
    const current = this.current!
    if (current.head) {
      const take = Math.min(current.head.byteLength - current.filled, chunk.byteLength - offset)
      current.head.set(chunk.subarray(offset, offset + take), current.filled)
      current.filled += take
      if (current.filled === current.head.byteLength) this.place(current)
      return offset + take
    }
    const take = Math.min(current.size - current.filled, chunk.byteLength - offset)
    const piece = chunk.subarray(offset, offset + take)
    if (current.sink) current.sink(piece)
    else if (current.targets) scatter(current.targets, current.filled, piece)
    else if (!isAt(piece, current.frame!, current.filled)) current.frame!.set(piece, current.filled)
    current.filled += take
    if (current.filled === current.size) this.finish()
    return offset + take
  }

  /** The head is in: the frame goes to a relay, its raw bytes where its placer says, or into the frame as usual. */
  private place(current: Partial): void {
    const head = current.head!
    current.head = null
    const relayed = this.handlers.relay?.sink(head, current.size) ?? null
    if (relayed) {
      current.sink = relayed
      relayed(head)
      return
    }
    const placement = placeFrame(head, this.placeable)
    if (placement) {
      current.frame = placement.head
      current.targets = placement.targets
    } else {
      current.frame = frameMemory(current.size)
      current.frame.set(head)
    }
  }

  private finish(): void {
    const { frame } = this.current!
    this.current = null
    if (frame) this.handlers.onFrame(frame)
  }
}

/**
 * Memory for a frame being reassembled, not zeroed: every byte of it is written before the frame
 * is handed on. Zeroing reused memory (an engine's malloc keeps it, see mallocTunables.ts) costs
 * 4-8 ms per 40 MB; fresh memory is zero anyway.
 */
function frameMemory(size: number): Uint8Array {
  return Buffer.allocUnsafeSlow(size)
}

/** Copies the bytes at frame position `at` into the targets they fall in (padding falls in none). */
function scatter(targets: FramePlacement['targets'], at: number, piece: Uint8Array): void {
  const end = at + piece.byteLength
  for (const target of targets) {
    const from = Math.max(at, target.at)
    const to = Math.min(end, target.at + target.bytes.byteLength)
    if (from >= to) continue
    const part = piece.subarray(from - at, to - at)
    if (!isAt(part, target.bytes, from - target.at)) target.bytes.set(part, from - target.at)
  }
}

/** True when `piece` already is the bytes of `dest` at `offset` (read there by readBuffer). */
function isAt(piece: Uint8Array, dest: Uint8Array, offset: number): boolean {
  return piece.buffer === dest.buffer && piece.byteOffset === dest.byteOffset + offset
}

/** Reads a frame's size, checking the whole header: text (a banner, a log line) fails at once. */
function readSize(source: Uint8Array, offset: number): number {
  // Byte by byte, not a DataView: this runs for every frame, and allocates nothing.
  const size = u32(source, offset) + 4
  const engine = u32(source, offset + 4) | 0
  const packLength = u32(source, offset + 8)
  if (size < HEADER || size > MAX_FRAME_BYTES || engine < AGENT || engine > MAX_ENGINE_ID || packLength > size - HEADER) {
    const text = JSON.stringify(new TextDecoder().decode(source.subarray(offset, offset + HEADER)))
    throw new CorruptStreamError(
      `not a clusterdesk stream (it starts with ${text}); is something else writing to it, ` +
        `such as a shell login banner or a stray console.log?`,
    )
  }
  return size
}

function readEngine(source: Uint8Array, offset: number): number {
  return u32(source, offset + 4) | 0
}

/** The big-endian unsigned 32-bit integer at `offset`. */
function u32(source: Uint8Array, offset: number): number {
  return source[offset] * 0x1000000 + ((source[offset + 1] << 16) | (source[offset + 2] << 8) | source[offset + 3])
}
