/**
 * The browser bridge's guards. The bridge listens on loopback only, but any local process and
 * any web page the user opens can reach loopback, so every request must also carry the random
 * token printed with the URL (or the cookie set when that URL was opened), come with this
 * server's own Host header (no DNS rebinding) and, from a browser, this server's own Origin
 * (no cross-site WebSocket from another page).
 */
import { randomBytes, timingSafeEqual } from 'node:crypto'
import type { IncomingMessage, OutgoingHttpHeaders } from 'node:http'

/** A fresh access token: 32 random bytes as hex. */
export function newToken(): string {
  return randomBytes(32).toString('hex')
}

export function sameToken(given: string | null | undefined, token: string): boolean {
  if (typeof given !== 'string' || given.length !== token.length) return false
  return timingSafeEqual(Buffer.from(given), Buffer.from(token))
}

/** Name of the cookie that carries the token; per port, as cookies do not tell ports apart. */
export const cookieName = (port: number): string => `clusterdesk-token-${port}`

export function cookieToken(req: IncomingMessage, port: number): string | null {
  const name = cookieName(port)
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=')
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim()
  }
  return null
}

/** The token-carrying cookie: never readable by scripts, never sent by other sites. */
export const tokenCookie = (port: number, token: string): string => `${cookieName(port)}=${token}; Path=/; HttpOnly; SameSite=Strict`

export class Guard {
  private readonly hosts: Set<string>
  private readonly origins: Set<string>

  constructor(
    readonly port: number,
    readonly token: string,
  ) {
    this.hosts = new Set([`127.0.0.1:${port}`, `localhost:${port}`])
    this.origins = new Set([...this.hosts].map((h) => `http://${h}`))
  }

  /** Why a request is refused whatever its token (foreign Host or Origin), or null. */
  foreign(req: IncomingMessage): string | null {
    const host = (req.headers.host ?? '').toLowerCase()
    if (!this.hosts.has(host)) return `unexpected Host header ${JSON.stringify(req.headers.host ?? '')}: use http://127.0.0.1:${this.port}/`
    const origin = req.headers.origin
    if (origin !== undefined && !this.origins.has(origin.toLowerCase())) return `requests from ${JSON.stringify(origin)} are not allowed`
    return null
  }

  /** The token the request carries (query first, then cookie), checked: true, false, or null if none. */
  tokenState(req: IncomingMessage, url: URL): boolean | null {
    const given = url.searchParams.get('token') ?? cookieToken(req, this.port)
    return given === null ? null : sameToken(given, this.token)
  }
}

/** Headers of every response. */
export const BASE_HEADERS: OutgoingHttpHeaders = {
  'X-Content-Type-Options': 'nosniff',
  // The page URL carries the token: never send it on in a Referer.
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'Cross-Origin-Opener-Policy': 'same-origin',
}
