/**
 * The controller's client-protocol listener: a Unix socket (in a 0700 directory) or TCP (loopback
 * unless another host is asked for). Each connection is a ClientSession; at most
 * MAX_UNAUTHENTICATED connections may be waiting to prove the key, the rest are closed at once.
 */
import { createServer, type Server, type Socket } from 'node:net'
import type { Controller } from '../controller/Controller'
import { ClientSession } from './ClientSession'

/** Connections allowed to be mid-handshake at once (each has AUTH_DEADLINE_MS to finish). */
export const MAX_UNAUTHENTICATED = 64

/** Where a controller listens: a Unix socket path, or a TCP host and port. */
export type ListenAddress = { path: string } | { host: string; port: number }

export class ProtocolServer {
  private readonly server: Server
  private readonly sessions = new Set<ClientSession>()
  private clientCount = 0

  constructor(
    private readonly controller: Controller,
    private readonly key: string,
  ) {
    this.server = createServer((socket) => this.accept(socket))
  }

  /** Connected, authenticated clients. */
  get clients(): number {
    return [...this.sessions].filter((s) => s.authenticated).length
  }

  /** Connections still proving the key. */
  get unauthenticated(): number {
    return this.sessions.size - this.clients
  }

  /** Listens; resolves with the actual address (the port chosen, for port 0). */
  listen(address: ListenAddress): Promise<ListenAddress> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject)
      const done = (): void => {
        this.server.off('error', reject)
        const bound = this.server.address()
        resolve(typeof bound === 'object' && bound && 'port' in bound ? { host: 'host' in address ? address.host : bound.address, port: bound.port } : address)
      }
      if ('path' in address) this.server.listen(address.path, done)
      else this.server.listen(address.port, address.host, done)
    })
  }

  /** Lets the process exit while the server listens (a script's own cluster), or not (a daemon). */
  setKeepAlive(keep: boolean): void {
    if (keep) this.server.ref()
    else this.server.unref()
  }

  /** Stops listening and ends every connection. */
  async close(): Promise<void> {
    // The caller awaits the close: hold the process until it is done, daemon or not.
    this.server.ref()
    for (const session of [...this.sessions]) session.end()
    await new Promise<void>((resolve) => this.server.close(() => resolve()))
  }

  private accept(socket: Socket): void {
    socket.on('error', () => undefined)
    if (this.unauthenticated >= MAX_UNAUTHENTICATED) {
      socket.destroy()
      return
    }
    socket.setNoDelay?.(true)
    // Connections never keep a script's controller alive: its own work and nodes decide that.
    socket.unref()
    const session = new ClientSession(
      socket,
      this.key,
      this.controller,
      () => ++this.clientCount,
      (s) => this.sessions.delete(s),
    )
    this.sessions.add(session)
  }
}
