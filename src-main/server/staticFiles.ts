/**
 * Serves the built renderer (`out/renderer`) to the browser: files below the static directory
 * only, the HTML with the same Content-Security-Policy as its `<meta>` tag (plus what only a
 * header can say), never cached; hashed assets cached privately.
 */
import { createReadStream, readFileSync, statSync, type Stats } from 'node:fs'
import type { ServerResponse } from 'node:http'
import { extname, join, resolve, sep } from 'node:path'
import { BASE_HEADERS } from './security'

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.txt': 'text/plain; charset=utf-8',
  '.wasm': 'application/wasm',
}

/** src-renderer/index.html's policy, used when the built page has none. */
export const DEFAULT_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self' ws://127.0.0.1:* ws://localhost:*"

/** The policy of a page's `<meta http-equiv="Content-Security-Policy">`, if it has one. */
export function metaCsp(html: string): string | null {
  const tag = /<meta\b[^>]*http-equiv\s*=\s*["']Content-Security-Policy["'][^>]*>/i.exec(html)?.[0]
  const content = tag && /\bcontent\s*=\s*"([^"]*)"|\bcontent\s*=\s*'([^']*)'/i.exec(tag)
  return content ? (content[1] ?? content[2]).replace(/\s+/g, ' ').trim() : null
}

/** A path through a file (ENOTDIR) or with an over-long name (ENAMETOOLONG) is not found either. */
function statOrNull(file: string): Stats | null {
  try {
    return statSync(file, { throwIfNoEntry: false }) ?? null
  } catch {
    return null
  }
}

export class StaticFiles {
  private readonly root: string

  constructor(staticDir: string) {
    this.root = resolve(staticDir)
  }

  /** Answers a GET/HEAD for `pathname`; the caller has checked the token already. */
  serve(pathname: string, res: ServerResponse, head: boolean): void {
    let decoded: string
    try {
      decoded = decodeURIComponent(pathname)
    } catch {
      return this.text(res, 400, 'bad path')
    }
    const file = resolve(this.root, `.${decoded.startsWith('/') ? decoded : `/${decoded}`}`)
    if (decoded.includes('\0') || (file !== this.root && !file.startsWith(this.root + sep))) return this.text(res, 404, 'not found')
    const stat = statOrNull(file)
    if (stat?.isFile() && extname(file) !== '.html') return this.file(res, file, stat.size, head)
    // Pages (and app routes without a file extension) get the app's index.html.
    if (stat?.isFile() || decoded === '/' || extname(decoded) === '') return this.index(res, head)
    this.text(res, 404, 'not found')
  }

  private index(res: ServerResponse, head: boolean): void {
    let html: string
    try {
      html = readFileSync(join(this.root, 'index.html'), 'utf8')
    } catch {
      return this.text(res, 503, `the GUI is not built (no ${join(this.root, 'index.html')}): run \`npx electron-vite build\`; the API at /api works meanwhile`)
    }
    const body = Buffer.from(html)
    res.writeHead(200, {
      ...BASE_HEADERS,
      'Content-Type': TYPES['.html'],
      'Content-Length': body.length,
      'Cache-Control': 'no-store',
      // frame-ancestors only works in a header, not in the page's meta tag.
      'Content-Security-Policy': `${metaCsp(html) ?? DEFAULT_CSP}; frame-ancestors 'none'; base-uri 'self'; form-action 'self'`,
    })
    res.end(head ? undefined : body)
  }

  private file(res: ServerResponse, file: string, size: number, head: boolean): void {
    res.writeHead(200, {
      ...BASE_HEADERS,
      'Content-Type': TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream',
      'Content-Length': size,
      // Vite puts a content hash in asset names; others may change between builds.
      'Cache-Control': file.includes(`${sep}assets${sep}`) ? 'private, max-age=31536000, immutable' : 'no-cache',
    })
    if (head) return void res.end()
    createReadStream(file)
      .on('error', () => res.destroy())
      .pipe(res)
  }

  text(res: ServerResponse, status: number, message: string): void {
    const body = Buffer.from(`clusterdesk: ${message}\n`)
    res.writeHead(status, { ...BASE_HEADERS, 'Content-Type': TYPES['.txt'], 'Content-Length': body.length, 'Cache-Control': 'no-store' })
    res.end(body)
  }
}
