/**
 * The controller's end of local engines' direct channels: a private Unix-domain socket (a named
 * pipe on Windows) per agent. An engine connects, says which engine it is with the launcher's
 * random token, and its connection is handed on as a StreamTransport; anything else is dropped.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import { join } from 'node:path'
import { decodeFrame, frameSize } from '../core/protocol/codec'
import { formatDirectAddress, type DirectAddress } from '../core/protocol/directChannel'
import { isDirectHello } from '../core/protocol/guards'
import { adoptReads, readsInto } from '../core/protocol/socketReads'
import { StreamTransport, type Transport } from '../core/protocol/transport'

/** A hello is a few dozen bytes; a longer first frame is not an engine of ours. */
const HELLO_MAX_BYTES = 1024
/** How long a connection may take to say hello before it is dropped. */
const HELLO_TIMEOUT_MS = 10_000

export type DirectListener = (engine: number, transport: Transport) => void

export class DirectServer {
  readonly address: DirectAddress
  private readonly token: Buffer
  private listener: DirectListener | null = null
  private readonly queued: Array<[number, Transport]> = []
  /** Connections that have not said hello yet (closed with the server). */
  private readonly greeting = new Set<net.Socket>()
  private closed = false
  private referenced = true

  private constructor(
    private readonly server: net.Server,
    private readonly dir: string | null,
    path: string,
    token: string,
  ) {
    this.address = { path, token }
    this.token = Buffer.from(token)
    server.on('connection', (socket) => this.accept(socket))
    // A failing listener only costs the direct channels: engines fall back to the relay.
    server.on('error', () => this.close())
  }

  /** Listens on a fresh private socket; rejects when that is impossible (no direct channels then). */
  static open(): Promise<DirectServer> {
    const token = randomBytes(24).toString('hex')
    const dir = process.platform === 'win32' ? null : mkdtempSync(join(os.tmpdir(), 'clusterdesk-'))
    const path = dir ? join(dir, 's') : `\\\\.\\pipe\\clusterdesk-${randomBytes(12).toString('hex')}`
    // mkdtemp makes the directory 0700: only this user can reach the socket. Paused: accept()
    // takes each connection over with reads straight into frames (see socketReads.ts).
    const server = net.createServer({ pauseOnConnect: true })
    return new Promise((resolve, reject) => {
      server.once('error', (err) => {
        if (dir) rmSync(dir, { recursive: true, force: true })
        reject(err)
      })
      server.listen(path, () => {
        server.removeAllListeners('error')
        resolve(new DirectServer(server, dir, path, token))
      })
    })
  }

  /** The value of DIRECT_ENV for the agent. */
  get env(): string {
    return formatDirectAddress(this.address)
  }

  /** Receives every accepted engine connection (those that came before are handed on now). */
  onConnection(listener: DirectListener): void {
    this.listener = listener
    for (const [engine, transport] of this.queued.splice(0)) listener(engine, transport)
  }

  ref(): void {
    this.referenced = true
    this.server.ref()
    for (const socket of this.greeting) socket.ref()
  }

  unref(): void {
    this.referenced = false
    this.server.unref()
    for (const socket of this.greeting) socket.unref()
  }

  /** Stops listening and removes the socket's directory; safe to call twice (and from 'exit'). */
  close(): void {
    if (this.closed) return
    this.closed = true
    this.server.close()
    for (const socket of this.greeting) socket.destroy()
    this.greeting.clear()
    for (const [, transport] of this.queued.splice(0)) transport.close()
    if (this.dir) rmSync(this.dir, { recursive: true, force: true })
  }

  private accept(accepted: net.Socket): void {
    if (this.closed) return void accepted.destroy()
    let transport: StreamTransport | null = null
    const socket = adoptReads(accepted, readsInto(() => transport, () => socket, { copyBetween: true }))
    this.greeting.add(socket)
    if (!this.referenced) socket.unref()
    const chunks: Buffer[] = []
    let bytes = 0
    const drop = (): void => {
      this.greeting.delete(socket)
      clearTimeout(timer)
      socket.destroy()
    }
    const timer = setTimeout(drop, HELLO_TIMEOUT_MS)
    timer.unref()
    socket.on('error', drop)
    socket.on('close', drop)
    const onData = (chunk: Buffer): void => {
      chunks.push(chunk)
      bytes += chunk.byteLength
      if (bytes < 4) return
      const all = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks)
      const size = frameSize(all)
      if (size > HELLO_MAX_BYTES) return drop()
      if (bytes < size) return
      socket.off('data', onData)
      socket.off('error', drop)
      socket.off('close', drop)
      const engine = this.hello(all.subarray(0, size))
      if (engine === null) return drop()
      this.greeting.delete(socket)
      clearTimeout(timer)
      // Copy the hello's rest: the transport may keep views onto it after `all` is gone.
      // Coalesced (a tick's tasks for the engine in one write): NodeConnection ends it only by close().
      transport = new StreamTransport(socket, socket, [Buffer.from(all.subarray(size))], { coalesce: true })
      this.handOn(engine, transport)
    }
    socket.on('data', onData)
  }

  /** The engine id of a valid hello, else null. */
  private hello(frame: Buffer): number | null {
    let message: unknown
    try {
      message = decodeFrame(new Uint8Array(frame)).message
    } catch {
      return null
    }
    // Anyone who can reach the socket may send anything: check every field before use.
    if (!isDirectHello(message)) return null
    const token = Buffer.from(message.token)
    return token.length === this.token.length && timingSafeEqual(token, this.token) ? message.engine : null
  }

  private handOn(engine: number, transport: Transport): void {
    if (this.listener) this.listener(engine, transport)
    else this.queued.push([engine, transport])
  }
}
