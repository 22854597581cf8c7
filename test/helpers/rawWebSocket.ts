/**
 * A WebSocket client made of raw bytes over a TCP socket, for tests that must send what a real
 * client never would: a handshake with any token, frames over the limit, reserved opcodes,
 * unmasked frames.
 */
import { randomBytes } from 'node:crypto'
import net from 'node:net'
import { onCleanup } from './service'

export interface RawUpgrade {
  socket: net.Socket
  /** The status line and headers of the server's answer. */
  head: string
  status: number
  /** Resolves when the server has closed or destroyed the connection. */
  closed: Promise<void>
}

/** Sends an HTTP upgrade request for `path` and waits for the answer's head. */
export function rawUpgrade(port: number, path: string, headers: Record<string, string> = {}): Promise<RawUpgrade> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1')
    onCleanup(() => socket.destroy())
    const closed = new Promise<void>((done) => socket.once('close', () => done()))
    socket.on('error', () => undefined)
    const all = {
      Host: `127.0.0.1:${port}`,
      Upgrade: 'websocket',
      Connection: 'Upgrade',
      'Sec-WebSocket-Key': randomBytes(16).toString('base64'),
      'Sec-WebSocket-Version': '13',
      ...headers,
    }
    socket.write(`GET ${path} HTTP/1.1\r\n${Object.entries(all).map(([k, v]) => `${k}: ${v}`).join('\r\n')}\r\n\r\n`)
    let received = Buffer.alloc(0)
    const onData = (chunk: Buffer): void => {
      received = Buffer.concat([received, chunk])
      const end = received.indexOf('\r\n\r\n')
      if (end < 0) return
      socket.off('data', onData)
      const head = received.subarray(0, end).toString('latin1')
      const rest = received.subarray(end + 4)
      if (rest.byteLength > 0) socket.unshift(rest)
      resolve({ socket, head, status: Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0), closed })
    }
    socket.on('data', onData)
    socket.once('close', () => reject(new Error(`the server closed the connection before answering the upgrade (got ${JSON.stringify(received.toString('latin1'))})`)))
  })
}

export interface FrameOptions {
  /** Set the mask bit and mask the payload, as a client must (default true). */
  masked?: boolean
  /** The length the header declares (default: the payload's); the payload bytes sent stay as given. */
  declaredLength?: number
}

/** One WebSocket frame with FIN set: `opcode` 1 is text, 2 binary, 3-7 and 11-15 are reserved. */
export function wsFrame(opcode: number, payload: Buffer = Buffer.alloc(0), options: FrameOptions = {}): Buffer {
  const { masked = true, declaredLength = payload.byteLength } = options
  const maskBit = masked ? 0x80 : 0
  let header: Buffer
  if (declaredLength < 126) header = Buffer.from([0x80 | opcode, maskBit | declaredLength])
  else if (declaredLength < 65536) {
    header = Buffer.alloc(4)
    header[0] = 0x80 | opcode
    header[1] = maskBit | 126
    header.writeUInt16BE(declaredLength, 2)
  } else {
    header = Buffer.alloc(10)
    header[0] = 0x80 | opcode
    header[1] = maskBit | 127
    header.writeBigUInt64BE(BigInt(declaredLength), 2)
  }
  if (!masked) return Buffer.concat([header, payload])
  const mask = randomBytes(4)
  const body = Buffer.from(payload.map((b, i) => b ^ mask[i % 4]))
  return Buffer.concat([header, mask, body])
}

/** A masked text frame with this JSON, as a browser would send it. */
export const jsonFrame = (message: unknown): Buffer => wsFrame(1, Buffer.from(JSON.stringify(message)))
