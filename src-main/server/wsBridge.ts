/**
 * The service API over a WebSocket at `/api`: the browser's adapter of the same interface the
 * Electron window reaches over IPC.
 *
 * Protocol (JSON text frames):
 * - client → server `{id, method, args}`; server → client `{id, result}` or `{id, error: {name, message}}`;
 * - server → client `{events: ServiceEvent[]}`, the service's batches;
 * - server → client `{ready: true}` once the connection is authenticated.
 *
 * Authentication: the token in the URL (`/api?token=…`) or the cookie the page got, checked at
 * the handshake, where a wrong one is answered 401 and no WebSocket is made; or, with neither, a
 * first message `{token}` within 5 s, where a wrong or missing one closes the socket with 1008
 * (policy violation) and a reason the page can show.
 *
 * No peer can take the server down: a frame ws refuses (too large, a reserved opcode, unmasked)
 * closes that one socket, and a call that fails in any way is answered with an error.
 */
import type { IncomingMessage } from 'node:http'
import type { Duplex } from 'node:stream'
import { WebSocket, WebSocketServer } from 'ws'
import type { ClusterServiceApi } from '../service/api'
import { dispatch, toWireError, type CallReply } from '../service/dispatch'
import type { EventSource } from '../service/eventBus'
import { BASE_HEADERS, sameToken, type Guard } from './security'

/** Largest message accepted (console code is at most 1 MB of text). */
const MAX_MESSAGE = 4 * 1024 * 1024
/** A client this far behind on events is dropped (it reconnects and takes a fresh snapshot). */
const MAX_BUFFERED = 64 * 1024 * 1024
const AUTH_TIMEOUT_MS = 5000
const BAD_TOKEN = 'wrong or missing token: open the URL that `clusterdesk serve` printed'

export class WsBridge {
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE })

  constructor(
    private readonly service: ClusterServiceApi & EventSource,
    private readonly guard: Guard,
  ) {}

  /** Handles an HTTP upgrade request for `/api`. */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer, url: URL): void {
    const foreign = this.guard.foreign(req)
    if (foreign) return refuse(socket, 403, foreign)
    const token = this.guard.tokenState(req, url)
    // A wrong token gets no WebSocket at all; only a missing one may still come in-band.
    if (token === false) return refuse(socket, 401, BAD_TOKEN)
    this.wss.handleUpgrade(req, socket, head, (ws) => this.connected(ws, token))
  }

  /** Closes every connection (the server is stopping). */
  close(): void {
    for (const ws of this.wss.clients) ws.close(1001, 'clusterdesk is stopping')
    this.wss.close()
  }

  private connected(ws: WebSocket, token: true | null): void {
    // ws reports a frame it refuses here, then closes the socket itself: only that peer is dropped.
    ws.on('error', () => ws.terminate())
    let stopEvents: (() => void) | null = null
    const ready = (): void => {
      stopEvents = this.service.onEvents((events) => this.push(ws, { events }))
      this.push(ws, { ready: true })
    }
    let timer: NodeJS.Timeout | null = null
    if (token) ready()
    else timer = setTimeout(() => ws.close(1008, BAD_TOKEN), AUTH_TIMEOUT_MS)

    ws.on('close', () => {
      if (timer) clearTimeout(timer)
      stopEvents?.()
    })
    ws.on('message', (data, isBinary) => {
      let message: unknown
      try {
        message = isBinary ? undefined : JSON.parse(data.toString())
      } catch {
        message = undefined
      }
      if (!stopEvents) {
        // The first message must be the token; nothing else is looked at before.
        const given = (message as { token?: unknown } | undefined)?.token
        if (typeof given !== 'string' || !sameToken(given, this.guard.token)) return ws.close(1008, BAD_TOKEN)
        clearTimeout(timer!)
        timer = null
        return ready()
      }
      this.call(ws, message).catch((err: unknown) => this.failed(ws, err))
    })
  }

  private async call(ws: WebSocket, message: unknown): Promise<void> {
    if (typeof message !== 'object' || message === null || Array.isArray(message)) {
      return this.push(ws, { id: null, error: { name: 'ProtocolError', message: 'messages are JSON objects {id, method, args}' } })
    }
    const { id, method, args = [] } = message as { id?: unknown; method?: unknown; args?: unknown }
    if (typeof id !== 'string' && typeof id !== 'number') {
      return this.push(ws, { id: null, error: { name: 'ProtocolError', message: 'a call needs an id (a string or number) to match its reply' } })
    }
    const reply: CallReply = await dispatch(this.service, method, args)
    this.push(ws, 'result' in reply ? { id, result: reply.result ?? null } : { id, error: reply.error })
  }

  /** A call that failed outside the service (its result could not be sent, say): say so, never throw. */
  private failed(ws: WebSocket, err: unknown): void {
    try {
      this.push(ws, { id: null, error: toWireError(err) })
    } catch {
      ws.terminate()
    }
  }

  private push(ws: WebSocket, message: object): void {
    if (ws.readyState !== WebSocket.OPEN) return
    if (ws.bufferedAmount > MAX_BUFFERED) return ws.close(1013, 'too far behind on events: reconnect')
    ws.send(JSON.stringify(message))
  }
}

const STATUS = { 401: 'Unauthorized', 403: 'Forbidden' } as const

/** Answers an upgrade request with 401 or 403 and no WebSocket, then destroys the socket. */
function refuse(socket: Duplex, status: keyof typeof STATUS, reason: string): void {
  const body = `clusterdesk: ${STATUS[status].toLowerCase()}: ${reason}\n`
  const headers = Object.entries({ ...BASE_HEADERS, 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(body), Connection: 'close' })
  socket.once('finish', () => socket.destroy())
  socket.end(`HTTP/1.1 ${status} ${STATUS[status]}\r\n${headers.map(([k, v]) => `${k}: ${v}`).join('\r\n')}\r\n\r\n${body}`)
}
