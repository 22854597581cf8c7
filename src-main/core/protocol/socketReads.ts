/**
 * Reads of a socket straight into the frames they belong to. A large frame otherwise arrives as
 * 64 KiB chunks, each a fresh allocation, all copied into the frame; net.Socket's `onread` lets
 * the kernel write into the frame itself (see FrameReader.readBuffer), which FrameReader then
 * finds already in place. Node offers `onread` only where the socket is made (`new net.Socket`,
 * `net.connect`); a socket a server accepted gets it by `adoptReads`.
 */
import net, { type OnReadOpts } from 'node:net'

/** What the socket reads for: a transport whose reader says where the next bytes go. */
export interface ReadTarget {
  /** Where the next bytes go, or null when they may go anywhere (between large frames). */
  readBuffer(): Uint8Array | null
}

export interface ReadsIntoOptions {
  /**
   * Between large frames, read into one reused chunk and hand on an exact-size copy of each read,
   * as Node's own reads do, rather than a fresh 64 KiB chunk per read that the frames in it keep
   * alive as views (default false). For the controller's end, where results are held for long.
   */
  copyBetween?: boolean
}

/**
 * The `onread` option for a socket whose bytes `target()` reads (null until it exists: Node asks
 * for the first buffer while making the socket). What arrives is handed on as the socket's own
 * 'data' event, so the transport reading it needs no other change.
 */
export function readsInto(target: () => ReadTarget | null, socket: () => NodeJS.EventEmitter | null, options: ReadsIntoOptions = {}): OnReadOpts {
  const reused = options.copyBetween ? Buffer.allocUnsafeSlow(READ_CHUNK) : null
  return {
    buffer: () => target()?.readBuffer() ?? reused ?? freshReadChunk(),
    callback: (bytes: number, buffer: Uint8Array) => {
      // Node hands `buffer` back as given; a copy (not a view) is what lets `reused` be reused.
      const data = buffer === reused ? Buffer.from(buffer.subarray(0, bytes)) : buffer.subarray(0, bytes)
      socket()?.emit('data', data)
      return true
    },
  }
}

/**
 * A socket that `server` accepted, made again on the same connection with `onread` (see
 * readsInto). The server must be made with `pauseOnConnect`, so that nothing was read from
 * `accepted`. Where Node's internals do not allow it, `accepted` itself, reading as usual.
 */
export function adoptReads(accepted: net.Socket, onread: OnReadOpts): net.Socket {
  // net.Socket has no public way to take its connection over; `_handle` has been its name for it
  // since Node 0.x, and `new net.Socket({ handle })` is how net.Server makes the accepted socket.
  const owner = accepted as unknown as { _handle?: object | null }
  const handle = owner._handle
  if (!handle || accepted.readableLength > 0) return resumed(accepted)
  let adopted: net.Socket
  try {
    adopted = new net.Socket({ handle, onread, readable: true, writable: true } as net.SocketConstructorOpts)
  } catch {
    return resumed(accepted)
  }
  // The old socket lets go of the connection without closing it; destroying it settles the
  // server's count of connections (its 'close' waits for no socket that lives on in `adopted`).
  owner._handle = null
  accepted.destroy()
  return adopted
}

function resumed(socket: net.Socket): net.Socket {
  socket.resume()
  return socket
}

/** What a read between large frames asks for: what Node reads by default. */
const READ_CHUNK = 65536

/** A buffer for one such read, never reused: frames and typed arrays may be views onto it. */
export function freshReadChunk(bytes = READ_CHUNK): Uint8Array {
  return Buffer.allocUnsafeSlow(bytes)
}
