/**
 * The one codec of every clusterdesk stream.
 *
 * A frame is `u32 length | i32 engine | u32 packLength | MessagePack body | raw sections`, all
 * big-endian; `length` counts the bytes after itself and `engine` names the engine the frame
 * concerns (AGENT for the agent itself), so a relay routes frames without decoding them.
 *
 * Typed arrays are MessagePack extension values that point into the raw sections: their bytes
 * are written as they are (no per-element encoding, no copy on the sending side) at 8-byte aligned
 * offsets, and the receiver makes views onto the frame it already holds (no copy either).
 */
import { Packr, addExtension } from 'msgpackr'
import type { AnyMessage } from './messages'

const HEADER = 12
/**
 * Largest frame, headers included. The length field is 32-bit unsigned, but a frame is one
 * contiguous buffer on the receiving side and a bigger length is far more likely a corrupt or
 * foreign stream, so 2 GiB it is.
 */
export const MAX_FRAME_BYTES = 2 ** 31
/** Typed arrays at least this large go to the raw sections; smaller ones stay inline. */
const RAW_THRESHOLD = 256
const EXT_RAW = 0x42
const EXT_FUNCTION = 0x43

const TypedArray = Object.getPrototypeOf(Uint8Array) as abstract new () => ArrayBufferView
const TYPED_KINDS = [
  Int8Array, Uint8Array, Uint8ClampedArray, Int16Array, Uint16Array, Int32Array, Uint32Array,
  Float32Array, Float64Array, BigInt64Array, BigUint64Array,
] as const
export type TypedKind = (typeof TYPED_KINDS)[number]

/** Raised when a value cannot be sent: what it contains and what to send instead. */
export class SerializationError extends Error {
  override name = 'SerializationError'
}

/** A function travelling by source; the engine re-creates it in its namespace. */
export class RemoteFunction {
  constructor(readonly source: string, readonly name: string) {}
}

// Encoding and decoding are synchronous, so the frame being built or read is module state.
/** Inside encodeFrame: large typed arrays go to the raw sections (made when the first one comes). */
let encoding = false
let outgoingRaws: ArrayBufferView[] | null = null
let outgoingRawBytes = 0
/** The frame being decoded; `placed` is looked up when its first typed array reference is read. */
let incoming: { buffer: ArrayBuffer; rawStart: number; placed: Map<number, ArrayBufferView> | null | undefined } | null = null
/** While a frame's body is read for placement (see readFrameHead): the raw sections it refers to. */
let placing: RawSection[] | null = null
let functionReviver: ((fn: RemoteFunction) => unknown) | null = null

// Not `(n + 7) & ~7`: bitwise operators wrap at 2^31, which is within reach of one frame.
const align8 = (n: number): number => n + ((8 - (n % 8)) % 8)

/**
 * The largest frame, headers included: what FrameReader accepts (MAX_FRAME_BYTES). Lowered by
 * CLUSTERDESK_MAX_MESSAGE_BYTES (read once, in every process: tests use it to reach the limit
 * without allocating gigabytes); never raised past MAX_FRAME_BYTES.
 */
export const MAX_MESSAGE_BYTES = messageLimit(process.env.CLUSTERDESK_MAX_MESSAGE_BYTES)

function messageLimit(setting: string | undefined): number {
  const lowered = Number(setting)
  return setting && Number.isInteger(lowered) && lowered > HEADER && lowered < MAX_FRAME_BYTES ? lowered : MAX_FRAME_BYTES
}

/** Bytes as people read them: `2.1 GiB`, `512 MiB`, `4096 bytes`. */
export function formatBytes(bytes: number): string {
  if (bytes >= 2 ** 30) return `${(bytes / 2 ** 30).toFixed(bytes >= 10 * 2 ** 30 ? 0 : 1).replace(/\.0$/, '')} GiB`
  if (bytes >= 2 ** 20) return `${(bytes / 2 ** 20).toFixed(1).replace(/\.0$/, '')} MiB`
  return `${bytes} bytes`
}

/** The value's frame is past the limit: say both sizes and how to send such data instead. */
function tooLarge(total: number): SerializationError {
  return new SerializationError(
    `the value is ${formatBytes(total)} encoded (${total} bytes); the largest value one message can carry is ` +
      `${formatBytes(MAX_MESSAGE_BYTES)} (${MAX_MESSAGE_BYTES} bytes): split it, e.g. scatter it over the engines, ` +
      `or send it in parts`,
  )
}

// Payload: [kind, mode] then, inline (mode 0), the bytes; by reference (mode 1), the offset into
// the raw sections and the byte length, as two float64 (exact to 2^53).
addExtension({
  Class: TypedArray,
  type: EXT_RAW,
  pack(view: ArrayBufferView): Uint8Array {
    const kind = Math.max(0, TYPED_KINDS.findIndex((k) => view instanceof k))
    if (!encoding || view.byteLength < RAW_THRESHOLD) {
      const out = new Uint8Array(2 + view.byteLength)
      out[0] = kind
      out.set(new Uint8Array(view.buffer, view.byteOffset, view.byteLength), 2)
      return out
    }
    const offset = outgoingRawBytes
    ;(outgoingRaws ??= []).push(view)
    outgoingRawBytes = align8(offset + view.byteLength)
    const out = new Uint8Array(18)
    out[0] = kind
    out[1] = 1
    const dv = new DataView(out.buffer)
    dv.setFloat64(2, offset)
    dv.setFloat64(10, view.byteLength)
    return out
  },
  unpack(payload: Uint8Array) {
    const Kind: TypedKind = TYPED_KINDS[payload[0]] ?? Uint8Array
    const size = Kind.BYTES_PER_ELEMENT
    if (payload[1] === 0) {
      // Inline bytes sit at any alignment in the frame: copy them into their own buffer. (Not
      // payload.slice: on a Buffer, which frames from sockets are, that is a view, not a copy.)
      const copy = new Uint8Array(payload.subarray(2))
      return new Kind(copy.buffer as ArrayBuffer, 0, copy.byteLength / size)
    }
    const dv = new DataView(payload.buffer, payload.byteOffset, payload.byteLength)
    const offset = dv.getFloat64(2)
    const byteLength = dv.getFloat64(10)
    if (placing !== null) {
      const section = new RawSection(Kind, offset, byteLength)
      placing.push(section)
      return section
    }
    if (incoming === null) throw new SerializationError('typed array reference outside of a frame')
    if (incoming.placed === undefined) incoming.placed = placedFrames.get(incoming.buffer) ?? null
    const placed = incoming.placed?.get(offset)
    if (placed !== undefined) return placed
    return new Kind(incoming.buffer, incoming.rawStart + offset, byteLength / size)
  },
})

addExtension({
  Class: RemoteFunction,
  type: EXT_FUNCTION,
  write: (fn: RemoteFunction) => [fn.source, fn.name],
  read([source, name]: [string, string]) {
    const fn = new RemoteFunction(source, name)
    return functionReviver ? functionReviver(fn) : fn
  },
})

/** How functions inside a value are treated when it is encoded. */
export type FunctionPolicy = 'send' | 'reject'

const packrs: Record<FunctionPolicy, Packr> = {
  send: new Packr({ useRecords: false, moreTypes: true, writeFunction: toRemoteFunction } as never),
  reject: new Packr({ useRecords: false, moreTypes: true, writeFunction: rejectFunction } as never),
}
const unpackr = packrs.send

/** A function as source, refusing what cannot be re-created from its text. */
export function toRemoteFunction(fn: Function): RemoteFunction {
  const source = Function.prototype.toString.call(fn)
  if (/\{\s*\[native code\]\s*\}\s*$/.test(source) && fn.name.startsWith('bound ')) {
    throw new SerializationError(
      `${fn.name} is a bound function (made by .bind), which has no source to send; ` +
        `send the function itself and pass what you bound as arguments, or push it as a global`,
    )
  }
  if (/\{\s*\[native code\]\s*\}\s*$/.test(source)) {
    throw new SerializationError(
      `${fn.name || 'this function'} is a native (built-in) function and has no source to send; ` +
        `wrap it in one of yours, e.g. (x) => ${fn.name || 'Math.sqrt'}(x)`,
    )
  }
  return new RemoteFunction(source, fn.name)
}

function rejectFunction(fn: Function): never {
  throw new SerializationError(
    `a function (${fn.name || 'anonymous'}) cannot be sent back; return data instead ` +
      `(numbers, strings, arrays, plain objects, typed arrays, Set, Date; a Map arrives as a plain object)`,
  )
}

/** Turns msgpackr's low-level failures into errors that say what was wrong. */
function explainPackError(err: unknown): Error {
  if (err instanceof SerializationError) return err
  const message = err instanceof Error ? err.message : String(err)
  if (err instanceof RangeError && /call stack/.test(message)) {
    return new SerializationError('the value contains a cycle (or is nested too deeply) and cannot be sent')
  }
  if (/symbol/i.test(message)) return new SerializationError('a symbol cannot be sent; use a string instead')
  return new SerializationError(`the value cannot be sent: ${message}`)
}

/**
 * Encodes one message as the chunks of one frame (write them in order, e.g. with writev).
 * Throws `SerializationError` for values that cannot travel, including a frame larger than
 * MAX_MESSAGE_BYTES (checked before any byte is sent, so the stream stays intact).
 */
export function encodeFrame(engine: number, message: AnyMessage, functions: FunctionPolicy = 'reject'): Uint8Array[] {
  encoding = true
  outgoingRaws = null
  outgoingRawBytes = 0
  let body: Uint8Array
  let raws: ArrayBufferView[] | null
  let rawBytes: number
  try {
    body = packrs[functions].pack(message)
  } catch (err) {
    throw explainPackError(err)
  } finally {
    raws = outgoingRaws as ArrayBufferView[] | null
    rawBytes = outgoingRawBytes
    encoding = false
    outgoingRaws = null
  }
  const bodyEnd = HEADER + body.byteLength
  const rawStart = align8(bodyEnd)
  const total = rawStart + rawBytes
  if (total > MAX_MESSAGE_BYTES) throw tooLarge(total)
  const inlineBody = raws === null || body.byteLength < 65536
  const head = Buffer.allocUnsafe(inlineBody ? rawStart : HEADER)
  // Byte by byte: Buffer's writeUInt32BE checks its arguments, and this runs for every frame.
  writeUint32(head, 0, total - 4)
  writeUint32(head, 4, engine)
  writeUint32(head, 8, body.byteLength)
  const chunks: Uint8Array[] = [head]
  if (inlineBody) {
    head.set(body, HEADER)
    for (let i = bodyEnd; i < rawStart; i++) head[i] = 0
  } else {
    chunks.push(body, new Uint8Array(rawStart - HEADER - body.byteLength))
  }
  if (raws === null) return chunks
  let written = 0
  for (const view of raws) {
    chunks.push(new Uint8Array(view.buffer, view.byteOffset, view.byteLength))
    written += view.byteLength
    const pad = align8(written) - written
    if (pad > 0) chunks.push(new Uint8Array(pad))
    written += pad
  }
  return chunks
}

/** Decodes a whole frame (as produced by `FrameReader`) into its engine id and message. */
export function decodeFrame<T = AnyMessage>(frame: Uint8Array, reviveFunction?: (fn: RemoteFunction) => unknown): { engine: number; message: T } {
  const engine = frameEngine(frame)
  const packLength = readUint32(frame, 8)
  const previous = incoming
  const buffer = frame.buffer as ArrayBuffer
  incoming = { buffer, rawStart: frame.byteOffset + align8(HEADER + packLength), placed: undefined }
  functionReviver = reviveFunction ?? null
  try {
    // Read in place from a view of the whole buffer, which the frames of one read share: msgpackr
    // gives each source it reads a DataView (as a property), so a view per frame would cost two.
    const source = bufferView(buffer)
    const start = frame.byteOffset + HEADER
    const message = unpackr.unpack(source, { start, end: start + packLength }) as T
    return { engine, message }
  } finally {
    incoming = previous
    functionReviver = null
  }
}

/** MessagePack's marker of a float64 (0xcb, then 8 big-endian bytes). */
const FLOAT64 = 0xcb

/**
 * Overwrites the number that ends an encoded frame's body: a value the message had as its last
 * property, encoded while still a non-integer placeholder (so as a float64), filled in once known.
 * The engine sends a result's cpuMs this way (see taskCpu.ts).
 */
export function setTrailingFloat64(chunks: Uint8Array[], value: number): void {
  const head = chunks[0]
  const packLength = readUint32(head, 8)
  // The body is in the head (small frames) or the chunk after it (see encodeFrame).
  const body = head.byteLength >= HEADER + packLength ? head.subarray(HEADER, HEADER + packLength) : chunks[1]
  if (body.byteLength !== packLength || body[packLength - 9] !== FLOAT64) throw new Error('the frame does not end with a float64 to fill in')
  new DataView(body.buffer, body.byteOffset + packLength - 8, 8).setFloat64(0, value)
}

function writeUint32(bytes: Uint8Array, at: number, value: number): void {
  bytes[at] = value >>> 24
  bytes[at + 1] = value >>> 16
  bytes[at + 2] = value >>> 8
  bytes[at + 3] = value
}

function readUint32(bytes: Uint8Array, at: number): number {
  return ((bytes[at] << 24) | (bytes[at + 1] << 16) | (bytes[at + 2] << 8) | bytes[at + 3]) >>> 0
}

/** A Buffer over the whole of the last (small) buffer frames were decoded from. */
let lastBuffer: ArrayBufferLike | null = null
let lastView: Buffer | null = null
/** Larger buffers (a big frame's own) get a view per frame: one kept here would keep them alive. */
const VIEW_CACHE_MAX = 1 << 20

function bufferView(buffer: ArrayBufferLike): Buffer {
  if (buffer.byteLength > VIEW_CACHE_MAX) return Buffer.from(buffer)
  if (buffer !== lastBuffer) {
    lastBuffer = buffer
    lastView = Buffer.from(buffer)
  }
  return lastView!
}

/** Reads the engine id of a frame without decoding it. */
export function frameEngine(frame: Uint8Array): number {
  // Byte by byte, not a DataView: this runs for every frame routed, and allocates nothing.
  return (frame[4] << 24) | (frame[5] << 16) | (frame[6] << 8) | frame[7]
}

/** Points an encoded frame at an engine: the header's engine field, in the frame's first chunk. */
export function setFrameEngine(head: Uint8Array, engine: number): void {
  head[4] = engine >>> 24
  head[5] = engine >>> 16
  head[6] = engine >>> 8
  head[7] = engine
}

/** Total size of a frame, from its first four bytes. */
export function frameSize(frame: Uint8Array): number {
  return new DataView(frame.buffer, frame.byteOffset, 4).getUint32(0) + 4
}

export { HEADER as FRAME_HEADER_BYTES }

// ---- A large frame's head, read before its raw sections arrive (see placement.ts) ----

/** A raw section that a frame's body refers to, before its bytes have arrived. */
export class RawSection {
  constructor(
    readonly kind: TypedKind,
    /** Offset in the frame's raw sections. */
    readonly offset: number,
    readonly byteLength: number,
  ) {}
}

/** Bytes from the start of a frame to its raw sections, from its 12-byte header. */
export function frameRawStart(header: Uint8Array): number {
  return align8(HEADER + new DataView(header.buffer, header.byteOffset, HEADER).getUint32(8))
}

/**
 * The body of a frame whose raw sections have not arrived (`head`: its first `frameRawStart`
 * bytes), with RawSection objects where its typed arrays will be; null if it cannot be read.
 */
export function readFrameHead(head: Uint8Array): { message: unknown; sections: RawSection[] } | null {
  const packLength = new DataView(head.buffer, head.byteOffset, head.byteLength).getUint32(8)
  const sections: RawSection[] = []
  placing = sections
  try {
    return { message: unpackr.unpack(head.subarray(HEADER, HEADER + packLength)), sections }
  } catch {
    return null
  } finally {
    placing = null
  }
}

/** The typed arrays of placed frames, by the head's buffer and raw offset (see decodeFrame). */
const placedFrames = new WeakMap<ArrayBuffer, Map<number, ArrayBufferView>>()

/** Decoding a frame whose head is `head` gives, for each raw offset in `views`, that view (placement.ts). */
export function setPlacedViews(head: ArrayBuffer, views: Map<number, ArrayBufferView>): void {
  placedFrames.set(head, views)
}
