/**
 * Reads of a socket straight into the frames they belong to. A large frame otherwise arrives as
 * 64 KiB chunks, each a fresh allocation, all copied into the frame; net.Socket's `onread` lets
 * the kernel write into the frame itself (see FrameReader.readBuffer), which FrameReader then
 * finds already in place. Node offers `onread` only where the socket is made (`new net.Socket`,
 * `net.connect`), so it serves the sockets engines open, not those a server accepts.
 */
import type { OnReadOpts } from 'node:net'

/** What the socket reads for: a transport whose reader says where the next bytes go. */
export interface ReadTarget {
  readBuffer(): Uint8Array
}

/**
 * The `onread` option for a socket whose bytes `target()` reads (null until it exists: Node asks
 * for the first buffer while making the socket). What arrives is handed on as the socket's own
 * 'data' event, so the transport reading it needs no other change.
 */
export function readsInto(target: () => ReadTarget | null, socket: () => NodeJS.EventEmitter | null): OnReadOpts {
  return {
    buffer: () => target()?.readBuffer() ?? freshReadChunk(),
    callback: (bytes: number, buffer: Uint8Array) => {
      socket()?.emit('data', buffer.subarray(0, bytes))
      return true
    },
  }
}

/** What a read between large frames asks for: what Node reads by default. */
const READ_CHUNK = 65536

/** A buffer for one such read, never reused: frames and typed arrays may be views onto it. */
export function freshReadChunk(bytes = READ_CHUNK): Uint8Array {
  return Buffer.allocUnsafeSlow(bytes)
}
