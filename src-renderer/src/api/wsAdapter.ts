/**
 * The browser adapter: the service API over the bridge's WebSocket (`/api?token=…`), speaking
 * `{id, method, args}` → `{id, result}` | `{id, error: {name, message}}`, with pushes `{events}`.
 * It reconnects with backoff; a call still waiting when the socket closes is rejected, never left
 * hanging, and calls made while (re)connecting go out once the socket opens.
 */
import type { ServiceEvent, ServiceMethod } from '../../../src-main/service/api'
import { ConnectionClosedError, forwardMethods, ServiceCallError, type ConnectionStatus, type ServiceClient } from './client'

/** The part of the DOM WebSocket the adapter uses, so tests can pass a fake. */
export interface SocketLike {
  readonly readyState: number
  send(data: string): void
  close(code?: number, reason?: string): void
  onopen: ((ev: unknown) => void) | null
  onmessage: ((ev: { data: unknown }) => void) | null
  onclose: ((ev: { code: number; reason: string }) => void) | null
  onerror: ((ev: unknown) => void) | null
}

export interface WsClientOptions {
  /** The bridge's API address, with its token: `ws://127.0.0.1:PORT/api?token=…`. */
  url: string
  /** Makes a socket; default `new WebSocket(url)`. */
  connect?: (url: string) => SocketLike
  /** First reconnect delay in ms, doubled per failed attempt; default 250. */
  minDelayMs?: number
  /** Longest reconnect delay in ms; default 5000. */
  maxDelayMs?: number
}

export interface WsClient extends ServiceClient {
  /** Closes the socket for good: pending calls are rejected and no reconnect follows. */
  close(): void
}

interface Pending {
  method: ServiceMethod
  payload: string
  sent: boolean
  resolve: (value: unknown) => void
  reject: (err: Error) => void
}

type Reply = { id: number; result?: unknown; error?: { name?: string; message?: string } } | { events: ServiceEvent[] }

/**
 * The API address for a page the bridge served. The token comes from the page's URL; without one
 * the socket still goes out, since the bridge also accepts the cookie it set with the page.
 */
export function bridgeUrl(location: Pick<Location, 'protocol' | 'host' | 'search'>): string {
  const token = new URLSearchParams(location.search).get('token')
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws'
  return `${scheme}://${location.host}/api${token ? `?token=${encodeURIComponent(token)}` : ''}`
}

/** Close code of a refused token: retrying cannot help, the user must open the right URL. */
const POLICY_VIOLATION = 1008

function closeReason(code: number, reason: string): string {
  if (reason) return reason
  // A wrong token is refused at the handshake, which a page sees as 1006 too: a restarted server
  // has a new token.
  if (code === 1006) return 'the service is not reachable — is `clusterdesk serve` still running? If it was restarted, open the address it printed now'
  if (code === POLICY_VIOLATION) return 'the service refused this page: open the address `clusterdesk serve` printed, with its token'
  return `socket closed with code ${code}`
}

export function createWsClient(options: WsClientOptions): WsClient {
  const { url, minDelayMs = 250, maxDelayMs = 5000 } = options
  const connect = options.connect ?? ((u: string) => new WebSocket(u) as unknown as SocketLike)
  const pending = new Map<number, Pending>()
  const eventListeners = new Set<(batch: ServiceEvent[]) => void>()
  const statusListeners = new Set<(status: ConnectionStatus) => void>()
  let status: ConnectionStatus = { state: 'connecting' }
  let socket: SocketLike | null = null
  let nextId = 1
  let attempts = 0
  let timer: ReturnType<typeof setTimeout> | undefined
  let stopped = false

  const setStatus = (next: ConnectionStatus): void => {
    status = next
    for (const listener of statusListeners) listener(status)
  }

  const rejectAll = (reason: string): void => {
    const waiting = [...pending.values()]
    pending.clear()
    for (const p of waiting) p.reject(new ConnectionClosedError(p.method, reason))
  }

  const onMessage = (data: unknown): void => {
    let msg: Reply
    try {
      msg = JSON.parse(String(data)) as Reply
    } catch {
      return
    }
    if ('events' in msg) {
      for (const listener of eventListeners) listener(msg.events)
      return
    }
    const call = pending.get(msg.id)
    if (!call) return
    pending.delete(msg.id)
    if (msg.error) call.reject(new ServiceCallError(call.method, msg.error.name ?? 'Error', msg.error.message ?? 'the service call failed'))
    else call.resolve(msg.result)
  }

  const open = (): void => {
    setStatus({ state: 'connecting' })
    const ws = connect(url)
    socket = ws
    ws.onopen = () => {
      attempts = 0
      setStatus({ state: 'open' })
      for (const p of pending.values()) {
        if (!p.sent) {
          ws.send(p.payload)
          p.sent = true
        }
      }
    }
    ws.onmessage = (ev) => onMessage(ev.data)
    ws.onerror = () => {}
    ws.onclose = (ev) => {
      if (socket !== ws) return
      socket = null
      const reason = closeReason(ev.code, ev.reason)
      rejectAll(reason)
      if (stopped || ev.code === POLICY_VIOLATION) return setStatus({ state: 'closed', reason })
      const delay = Math.min(maxDelayMs, minDelayMs * 2 ** attempts++)
      setStatus({ state: 'closed', reason, retryInMs: delay })
      timer = setTimeout(open, delay)
    }
  }

  const call = (method: ServiceMethod, args: unknown[]): Promise<unknown> => {
    if (stopped) return Promise.reject(new ConnectionClosedError(method, 'the client was closed'))
    const id = nextId++
    const payload = JSON.stringify({ id, method, args })
    return new Promise((resolve, reject) => {
      const ready = socket !== null && status.state === 'open'
      pending.set(id, { method, payload, sent: ready, resolve, reject })
      if (ready) socket!.send(payload)
    })
  }

  open()
  return {
    ...forwardMethods(call),
    onEvents(listener) {
      eventListeners.add(listener)
      return () => eventListeners.delete(listener)
    },
    onConnection(listener) {
      statusListeners.add(listener)
      listener(status)
      return () => statusListeners.delete(listener)
    },
    close() {
      stopped = true
      clearTimeout(timer)
      const ws = socket
      socket = null
      rejectAll('the client was closed')
      setStatus({ state: 'closed', reason: 'closed' })
      ws?.close(1000, 'client closed')
    },
  }
}
