import { mkdirSync, writeFileSync } from 'node:fs'
import { request } from 'node:http'
import { join } from 'node:path'
import { describe, expect, test } from 'vitest'
import { WebSocket } from 'ws'
import { startServer, type RunningServer } from '../../../src-main/server/startServer'
import type { ServiceEvent } from '../../../src-main/service/api'
import { rawUpgrade } from '../../helpers/rawWebSocket'
import { onCleanup, tempDir, waitFor } from '../../helpers/service'

const CSP = "default-src 'self'; script-src 'self'; connect-src 'self' ws://127.0.0.1:*"

/** A served GUI: a tiny index.html with a CSP meta tag and one asset. */
async function serve(): Promise<RunningServer> {
  const parent = tempDir()
  const staticDir = join(parent, 'renderer')
  mkdirSync(join(staticDir, 'assets'), { recursive: true })
  writeFileSync(join(parent, 'secret.txt'), 'secret')
  writeFileSync(join(staticDir, 'index.html'), `<!doctype html><html><head><meta http-equiv="Content-Security-Policy" content="${CSP}" /></head><body>gui</body></html>`)
  writeFileSync(join(staticDir, 'assets', 'app-1234.js'), 'console.log(1)')
  const server = await startServer({ dataDir: tempDir(), staticDir })
  onCleanup(() => server.close())
  return server
}

interface Reply {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: string
}

/** A raw HTTP GET, so tests can send any Host, Origin or path. */
function get(server: RunningServer, path: string, headers: Record<string, string> = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: server.port, path, headers: { host: `127.0.0.1:${server.port}`, ...headers } }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (c: string) => (body += c))
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }))
    })
    req.on('error', reject)
    req.end()
  })
}

type Outcome = { opened: boolean; status?: number; close?: { code: number; reason: string } }

/** Opens a WebSocket and reports how it ended: refused at the handshake, or closed with a code. */
function connect(server: RunningServer, path: string, headers: Record<string, string> = {}, first?: object): Promise<Outcome> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}${path}`, { headers: { origin: `http://127.0.0.1:${server.port}`, ...headers } })
    const outcome: Outcome = { opened: false }
    ws.on('unexpected-response', (_req, res) => {
      resolve({ ...outcome, status: res.statusCode })
      ws.terminate()
    })
    ws.on('open', () => {
      outcome.opened = true
      if (first) ws.send(JSON.stringify(first))
    })
    ws.on('close', (code, reason) => resolve({ ...outcome, close: { code, reason: reason.toString() } }))
    ws.on('error', () => undefined)
  })
}

/** An authenticated client: calls by id, collects pushed events. */
async function client(server: RunningServer, path = `/api?token=${server.token}`) {
  const ws = new WebSocket(`ws://127.0.0.1:${server.port}${path}`, { origin: `http://localhost:${server.port}` })
  onCleanup(() => ws.close())
  const events: ServiceEvent[] = []
  const replies = new Map<number, (m: { result?: unknown; error?: { name: string; message: string } }) => void>()
  let ready = false
  ws.on('message', (data) => {
    const m = JSON.parse(data.toString())
    if (m.events) events.push(...m.events)
    else if (m.ready) ready = true
    else replies.get(m.id)?.(m)
  })
  await new Promise((r) => ws.once('open', r))
  let next = 1
  const call = (method: string, ...args: unknown[]) =>
    new Promise<{ result?: unknown; error?: { name: string; message: string } }>((resolve) => {
      const id = next++
      replies.set(id, resolve)
      ws.send(JSON.stringify({ id, method, args }))
    })
  return { ws, events, call, isReady: () => ready }
}

describe('the browser bridge over real HTTP and WebSocket', () => {
  test('serves the page only with the token, with security headers, then assets by cookie', async () => {
    const server = await serve()
    expect(server.url).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:${server.port}/\\?token=[0-9a-f]{64}$`))

    expect((await get(server, '/')).status).toBe(403)
    expect((await get(server, '/?token=')).status).toBe(403)
    expect((await get(server, `/?token=${'0'.repeat(64)}`)).status).toBe(403)
    expect((await get(server, `/?token=${server.token.slice(1)}`)).status).toBe(403)
    expect((await get(server, '/assets/app-1234.js')).status).toBe(403)

    const page = await get(server, `/?token=${server.token}`)
    expect(page.status).toBe(200)
    expect(page.body).toContain('gui')
    expect(page.headers['content-security-policy']).toBe(`${CSP}; frame-ancestors 'none'; base-uri 'self'; form-action 'self'`)
    expect(page.headers['x-content-type-options']).toBe('nosniff')
    expect(page.headers['cache-control']).toBe('no-store')
    expect(page.headers['referrer-policy']).toBe('no-referrer')
    const cookie = (page.headers['set-cookie'] as string[])[0]
    expect(cookie).toMatch(/HttpOnly/)
    expect(cookie).toMatch(/SameSite=Strict/)

    const asset = await get(server, '/assets/app-1234.js', { cookie: cookie.split(';')[0] })
    expect(asset.status).toBe(200)
    expect(asset.headers['content-type']).toMatch(/^text\/javascript/)
    // The static directory's parent holds secret.txt: nothing above the directory is served.
    expect((await get(server, '/%2e%2e/secret.txt', { cookie: cookie.split(';')[0] })).status).toBe(404)
    expect((await get(server, '/..%2fsecret.txt', { cookie: cookie.split(';')[0] })).status).toBe(404)
    expect((await get(server, '/assets/missing.js', { cookie: cookie.split(';')[0] })).status).toBe(404)
  })

  test('refuses a foreign Host or Origin even with the right token', async () => {
    const server = await serve()
    const ok = `/?token=${server.token}`
    expect((await get(server, ok, { host: `localhost:${server.port}` })).status).toBe(200)
    const rebound = await get(server, ok, { host: `evil.example:${server.port}` })
    expect(rebound.status).toBe(403)
    expect(rebound.body).toMatch(/unexpected Host header/)
    expect((await get(server, ok, { host: '127.0.0.1:1' })).status).toBe(403)
    expect((await get(server, ok, { origin: 'http://evil.example' })).status).toBe(403)
    expect((await get(server, ok, { origin: `http://127.0.0.1:${server.port}` })).status).toBe(200)

    expect(await connect(server, `/api?token=${server.token}`, { origin: 'http://evil.example' })).toEqual({ opened: false, status: 403 })
    expect(await connect(server, `/api?token=${server.token}`, { origin: `http://127.0.0.1:${server.port + 1}` })).toMatchObject({ opened: false, status: 403 })
    expect(await connect(server, `/api?token=${server.token}`, { host: `evil.example:${server.port}` })).toMatchObject({ opened: false, status: 403 })
  })

  test('refuses a wrong token at the handshake with 401: no WebSocket is made', async () => {
    const server = await serve()
    const origin = `http://127.0.0.1:${server.port}`
    for (const path of [`/api?token=${'f'.repeat(64)}`, `/api?token=${server.token.slice(1)}`, '/api?token=']) {
      const refused = await rawUpgrade(server.port, path, { Origin: origin })
      expect(refused.status, path).toBe(401)
      expect(refused.head).not.toMatch(/sec-websocket-accept/i)
      await refused.closed
    }
    const wrongCookie = await rawUpgrade(server.port, '/api', { Origin: origin, Cookie: `clusterdesk-token-${server.port}=${'0'.repeat(64)}` })
    expect(wrongCookie.status).toBe(401)
    await wrongCookie.closed
    expect(await connect(server, `/api?token=${'f'.repeat(64)}`)).toEqual({ opened: false, status: 401 })
    // The right token is upgraded, by a raw request as by a client.
    const accepted = await rawUpgrade(server.port, `/api?token=${server.token}`, { Origin: origin })
    expect(accepted.status).toBe(101)
    expect(accepted.head).toMatch(/sec-websocket-accept/i)
  })

  test('without a token in the URL, the first message must carry it, else 1008', async () => {
    const server = await serve()
    expect(await connect(server, '/api', {}, { id: 1, method: 'snapshot', args: [] })).toMatchObject({ opened: true, close: { code: 1008, reason: expect.stringMatching(/wrong or missing token/) } })
    expect(await connect(server, '/api', {}, { token: 'nope' })).toMatchObject({ opened: true, close: { code: 1008 } })
    expect(await connect(server, '/api', {}, { token: { toString: 1 } })).toMatchObject({ opened: true, close: { code: 1008 } })
  })

  test('with the token: calls work, bad calls get errors, events arrive', async () => {
    const server = await serve()
    const c = await client(server)
    await waitFor(() => c.isReady(), 'the ready message')

    const snap = await c.call('snapshot')
    expect(snap.result).toMatchObject({ nodes: [{ id: 'local', name: 'This computer' }], engines: [], dataDir: server.service.dataDir })

    expect((await c.call('format', '/')).error).toMatchObject({ name: 'ServiceInputError', message: expect.stringMatching(/unknown method "format"/) })
    expect((await c.call('saveNode', { name: 'x', kind: 'local', engines: -1 })).error).toMatchObject({ name: 'ServiceInputError', message: expect.stringMatching(/engines must be at least 1/) })
    expect((await c.call('getRun', 'missing')).error).toMatchObject({ name: 'NotFoundError' })
    expect((await c.call('runPi', { samples: 10, tasks: 2, mode: 'lb-map', kernel: 'seeded', seed: 1, targets: 'all' })).error).toMatchObject({ name: 'NoEnginesError' })

    const saved = await c.call('saveNode', { name: 'second', kind: 'local', engines: 1 })
    expect(saved.result).toMatchObject({ name: 'second', id: expect.any(String) })
    await waitFor(() => c.events.find((e) => e.type === 'nodes' && e.nodes.length === 2), 'a nodes event')
    expect((await c.call('deleteNode', (saved.result as { id: string }).id)).result).toBeNull()

    // The token may also come as the first message.
    const late = await client(server, '/api')
    late.ws.send(JSON.stringify({ token: server.token }))
    await waitFor(() => late.isReady(), 'ready after the token message')
    expect((await late.call('snapshot')).result).toMatchObject({ nodes: [{ id: 'local' }] })
  })

  test('malformed messages, wrong shapes and unknown methods are answered with errors; the connection goes on', async () => {
    const server = await serve()
    const c = await client(server)
    await waitFor(() => c.isReady(), 'the ready message')
    const answers: Array<{ id: unknown; error?: { name: string; message: string } }> = []
    c.ws.on('message', (data) => {
      const m = JSON.parse(data.toString())
      if ('id' in m && m.id === null) answers.push(m)
    })
    c.ws.send('{not json')
    c.ws.send(Buffer.from([1, 2, 3]))
    c.ws.send('[1, 2]')
    c.ws.send('"snapshot"')
    c.ws.send(JSON.stringify({ method: 'snapshot' }))
    c.ws.send(JSON.stringify({ id: { toString: 1 }, method: 'snapshot' }))
    await waitFor(() => answers.length === 6, 'six protocol errors')
    expect(answers.every((a) => a.error?.name === 'ProtocolError')).toBe(true)

    for (const method of ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 42, null]) {
      expect((await c.call(method as string)).error, String(method)).toMatchObject({ name: 'ServiceInputError', message: expect.stringMatching(/unknown method/) })
    }
    const weird = [
      ['getRun', { toString: 1 }],
      ['saveNode', null],
      ['saveNode', { __proto__: { kind: 'local' }, name: 'x', engines: 1e308 }],
      ['runPi', { samples: 'many' }],
      ['deleteNode', ['a']],
    ] as const
    for (const [method, arg] of weird) expect((await c.call(method, arg)).error, method).toMatchObject({ name: 'ServiceInputError' })
    const notArray = await new Promise<{ error?: { name: string } }>((resolve) => {
      c.ws.on('message', (d) => {
        const m = JSON.parse(d.toString())
        if (m.id === 'x') resolve(m)
      })
      c.ws.send(JSON.stringify({ id: 'x', method: 'snapshot', args: { 0: 1 } }))
    })
    expect(notArray.error).toMatchObject({ name: 'ServiceInputError' })
    expect((await c.call('snapshot')).result).toMatchObject({ nodes: [{ id: 'local' }] })
  })

  test('binds to loopback only', async () => {
    await expect(startServer({ dataDir: tempDir(), staticDir: tempDir(), host: '0.0.0.0' as '127.0.0.1' })).rejects.toThrow(/loopback only/)
    const server = await serve()
    const other = await startServer({ dataDir: tempDir(), staticDir: tempDir(), port: server.port }).catch((e: Error) => e)
    expect(other).toMatchObject({ name: 'ServeError', message: expect.stringMatching(/port \d+ is in use/) })
  })
})
