/**
 * The browser bridge: the built GUI over HTTP and the service API over a WebSocket at `/api`,
 * on loopback only, behind a random token (see security.ts).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { ClusterService } from '../service/ClusterService'
import { Guard, newToken, tokenCookie } from './security'
import { StaticFiles } from './staticFiles'
import { WsBridge } from './wsBridge'

export interface ServerOptions {
  /** TCP port; 0 (default) picks a free one. */
  port?: number
  /** Address to listen on: loopback only (default '127.0.0.1'; 'localhost' means the same). */
  host?: '127.0.0.1' | 'localhost'
  /** Where the service keeps its database (ignored when `service` is given). */
  dataDir: string
  /** The built renderer to serve (`out/renderer`). */
  staticDir: string
  /** A service to serve instead of a new one on `dataDir` (it is not closed with the server). */
  service?: ClusterService
  /** The access token (default: 32 random bytes, hex). */
  token?: string
  /**
   * The profile a new service publishes its own cluster under (see ClusterServiceOptions.profile;
   * default 'app'; ignored when `service` is given).
   */
  profile?: string | null
}

export interface RunningServer {
  /** The page's URL, with the token. */
  url: string
  port: number
  token: string
  service: ClusterService
  /** Closes connections, stops the server and (if it made it) the service and its engines. */
  close(): Promise<void>
}

/** The server could not listen (port taken, not allowed). */
export class ServeError extends Error {
  override name = 'ServeError'
}

export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const { port = 0, host = '127.0.0.1', dataDir, staticDir } = options
  if (host !== '127.0.0.1' && host !== 'localhost') throw new ServeError(`the GUI is served on loopback only (127.0.0.1), not on ${JSON.stringify(host)}`)
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new ServeError(`port must be 0 (any free port) or 1-65535, got ${port}`)
  const token = options.token ?? newToken()
  const service = options.service ?? new ClusterService({ dataDir, ...(options.profile !== undefined ? { profile: options.profile } : {}) })
  const server = createServer()
  let actualPort: number
  try {
    actualPort = await listen(server, port)
  } catch (err) {
    if (!options.service) await service.close()
    throw err
  }
  const guard = new Guard(actualPort, token)
  const files = new StaticFiles(staticDir)
  const bridge = new WsBridge(service, guard)

  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    const url = requestUrl(req, actualPort)
    if (!url) return files.text(res, 400, 'bad request path')
    const foreign = guard.foreign(req)
    if (foreign) return files.text(res, 403, `forbidden: ${foreign}`)
    if (req.method !== 'GET' && req.method !== 'HEAD') return files.text(res, 405, `${req.method} is not supported`)
    const tokenOk = guard.tokenState(req, url)
    if (!tokenOk) return files.text(res, 403, 'forbidden: wrong or missing token: open the URL that `clusterdesk serve` printed')
    if (url.pathname === '/api') return files.text(res, 426, '/api is a WebSocket')
    // The page's own requests (scripts, styles) carry no token in their URLs: the cookie does it.
    if (url.searchParams.has('token')) res.setHeader('Set-Cookie', tokenCookie(actualPort, token))
    files.serve(url.pathname, res, req.method === 'HEAD')
  }
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    try {
      onRequest(req, res)
    } catch {
      // A request this code did not foresee costs that request, never the server.
      if (!res.headersSent) files.text(res, 500, 'internal error')
      else res.destroy()
    }
  })
  // A peer that resets or sends what is not HTTP costs its own connection, never the server.
  server.on('clientError', (_err, socket) => {
    if (socket.writable && !socket.writableEnded) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n')
    socket.destroy()
  })
  server.on('upgrade', (req: IncomingMessage, socket, head: Buffer) => {
    socket.on('error', () => socket.destroy())
    const url = requestUrl(req, actualPort)
    if (!url) return void socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n')
    if (url.pathname !== '/api') return void socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n')
    try {
      bridge.upgrade(req, socket, head, url)
    } catch {
      socket.destroy()
    }
  })

  let closing: Promise<void> | null = null
  return {
    url: `http://127.0.0.1:${actualPort}/?token=${token}`,
    port: actualPort,
    token,
    service,
    close: () =>
      (closing ??= (async () => {
        bridge.close()
        server.closeAllConnections()
        await new Promise<void>((resolve) => server.close(() => resolve()))
        if (!options.service) await service.close()
      })()),
  }
}

/**
 * The request's URL on this server, or null when it cannot be parsed. The path is appended to
 * the origin rather than resolved against it, so `//x` stays a path and never names a host.
 */
function requestUrl(req: IncomingMessage, port: number): URL | null {
  const path = req.url ?? '/'
  try {
    return new URL(`http://127.0.0.1:${port}${path.startsWith('/') ? path : `/${path}`}`)
  } catch {
    return null
  }
}

function listen(server: Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE') reject(new ServeError(`port ${port} is in use: choose another with --port, or leave --port out to take a free one`))
      else if (err.code === 'EACCES') reject(new ServeError(`port ${port} needs privileges: choose a port above 1023`))
      else reject(err)
    })
    server.listen(port, '127.0.0.1', () => resolve((server.address() as AddressInfo).port))
  })
}
