import { spawn, type ChildProcess } from 'node:child_process'
import { mkdirSync, readFileSync, rmSync } from 'node:fs'
import { connect as tcpConnect, createServer } from 'node:net'
import { join } from 'node:path'
import { build } from 'esbuild'
import { beforeAll, expect, test } from 'vitest'
import { WebSocket } from 'ws'
import { waitGone } from '../../helpers/cluster'
import { rawUpgrade, wsFrame } from '../../helpers/rawWebSocket'
import { onCleanup, tempDir } from '../../helpers/service'

const root = join(import.meta.dirname, '../../..')
// Inside the package, so the program finds the package root (engine bundle, out/renderer) and its dependencies.
const program = join(root, 'node_modules', '.tmp', `serve-test-${process.pid}.mjs`)

beforeAll(async () => {
  mkdirSync(join(root, 'node_modules', '.tmp'), { recursive: true })
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'))
  await build({
    stdin: {
      contents: `import { Command } from 'commander'\nimport { registerServe } from './src-main/cli/serveCommand'\nconst program = new Command('clusterdesk')\nregisterServe(program)\nawait program.parseAsync(process.argv)\n`,
      resolveDir: root,
      loader: 'ts',
    },
    bundle: true,
    platform: 'node',
    format: 'esm',
    outfile: program,
    external: Object.keys(pkg.dependencies),
    logLevel: 'error',
  })
  return () => rmSync(program, { force: true })
})

function stdoutLine(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = ''
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString()
      if (out.includes('\n')) resolve(out)
    })
    child.once('exit', (code) => reject(new Error(`serve exited (${code}) before printing its URL`)))
  })
}

test('`clusterdesk serve` prints one line with the URL and token, and stops its engines on SIGTERM', async () => {
  const child = spawn(process.execPath, [program, 'serve', '--data-dir', tempDir()], { stdio: ['ignore', 'pipe', 'pipe'] })
  onCleanup(() => child.exitCode === null && child.kill('SIGKILL'))
  let stderr = ''
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()))

  const out = await stdoutLine(child)
  const match = /^clusterdesk is serving (http:\/\/127\.0\.0\.1:(\d+)\/\?token=([0-9a-f]{64}))\n$/.exec(out)
  expect(match, out).not.toBeNull()
  const [, url, port, token] = match!
  expect((await fetch(url.replace(token, 'x'))).status).toBe(403)
  expect([200, 503]).toContain((await fetch(url)).status)

  const ws = new WebSocket(`ws://127.0.0.1:${port}/api?token=${token}`)
  const replies: Array<{ id: number; result?: { engines: Array<{ pid: number }> }; error?: unknown }> = []
  ws.on('message', (d) => {
    const m = JSON.parse(d.toString())
    if ('id' in m) replies.push(m)
  })
  await new Promise((r) => ws.once('open', r))
  const call = async (id: number, method: string, args: unknown[] = []) => {
    ws.send(JSON.stringify({ id, method, args }))
    for (let i = 0; i < 400 && !replies.some((r) => r.id === id); i++) await new Promise((r) => setTimeout(r, 25))
    return replies.find((r) => r.id === id)!
  }
  await call(1, 'saveNode', [{ id: 'local', name: 'This computer', kind: 'local', engines: 2 }])
  expect((await call(2, 'startNode', ['local'])).error).toBeUndefined()
  const pids = (await call(3, 'snapshot')).result!.engines.map((e) => e.pid)
  expect(pids).toHaveLength(2)
  ws.close()

  child.kill('SIGTERM')
  const code = await new Promise((r) => child.once('exit', r))
  expect(code, stderr).toBe(0)
  expect(await waitGone(pids)).toEqual([])
})

test('without --port it takes the same port each time (47300), or any free one when that is taken', async () => {
  const start = (): { child: ChildProcess; port: Promise<number> } => {
    const child = spawn(process.execPath, [program, 'serve', '--data-dir', tempDir()], { stdio: ['ignore', 'pipe', 'pipe'] })
    onCleanup(() => child.exitCode === null && child.kill('SIGKILL'))
    return { child, port: stdoutLine(child).then((out) => Number(/127\.0\.0\.1:(\d+)\//.exec(out)?.[1])) }
  }
  const defaultFree = await new Promise<boolean>((resolve) => {
    const probe = createServer().once('error', () => resolve(false))
    probe.listen(47300, '127.0.0.1', () => probe.close(() => resolve(true)))
  })
  const first = start()
  const firstPort = await first.port
  const second = start()
  const secondPort = await second.port
  if (defaultFree) expect(firstPort).toBe(47300)
  expect(secondPort).toBeGreaterThan(0)
  expect(secondPort).not.toBe(firstPort)
  for (const { child } of [first, second]) {
    child.kill('SIGTERM')
    expect(await new Promise((r) => child.once('exit', r))).toBe(0)
  }
})

test('no peer can take `clusterdesk serve` down: a refused frame drops that one connection, with or without a token', async () => {
  const child = spawn(process.execPath, [program, 'serve', '--port', '0', '--data-dir', tempDir()], { stdio: ['ignore', 'pipe', 'pipe'] })
  onCleanup(() => child.exitCode === null && child.kill('SIGKILL'))
  let stderr = ''
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()))
  const [, port, token] = /127\.0\.0\.1:(\d+)\/\?token=([0-9a-f]+)/.exec(await stdoutLine(child))!
  const origin = { Origin: `http://127.0.0.1:${port}` }

  const frames: Record<string, Buffer> = {
    // The bridge takes messages up to 4 MiB; the header alone says this one is larger.
    'over the size limit': wsFrame(1, Buffer.alloc(16), { declaredLength: 5 * 1024 * 1024 }),
    'a reserved data opcode': wsFrame(3, Buffer.from('x')),
    'a reserved control opcode': wsFrame(11),
    'an unmasked frame': wsFrame(1, Buffer.from('{"token":"x"}'), { masked: false }),
    'RSV1 set with no extension': Buffer.from([0xc1, 0x80, 0, 0, 0, 0]),
  }
  for (const [what, frame] of Object.entries(frames)) {
    for (const path of [`/api?token=${token}`, '/api']) {
      const peer = await rawUpgrade(Number(port), path, origin)
      expect(peer.status, `${what} on ${path}`).toBe(101)
      peer.socket.write(frame)
      await peer.closed
      expect(child.exitCode, `${what} on ${path}: ${stderr}`).toBeNull()
    }
  }

  // Not HTTP at all: answered 400 and closed (the HTTP server's clientError).
  const garbage = tcpConnect(Number(port), '127.0.0.1')
  onCleanup(() => garbage.destroy())
  let answer = ''
  garbage.on('data', (c: Buffer) => (answer += c.toString('latin1')))
  garbage.write('\x00\x01 not http\r\n\r\n')
  await new Promise((r) => garbage.once('close', r))
  expect(answer).toMatch(/^HTTP\/1\.1 400/)

  // Paths `new URL` cannot parse against the server's address, with and without an upgrade.
  for (const path of ['//', '///', '//[', '/\\', '//%']) {
    for (const upgrade of [false, true]) {
      const peer = tcpConnect(Number(port), '127.0.0.1')
      onCleanup(() => peer.destroy())
      let reply = ''
      peer.on('data', (c: Buffer) => (reply += c.toString('latin1')))
      peer.on('error', () => undefined)
      const headers = upgrade ? 'Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n' : 'Connection: close\r\n'
      peer.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n${headers}\r\n`)
      await new Promise((r) => peer.once('close', r))
      expect(reply, `${path} (upgrade: ${upgrade})`).toMatch(/^HTTP\/1\.1 (400|403|404)/)
      expect(child.exitCode, `${path}: ${stderr}`).toBeNull()
    }
  }

  // Paths the file system refuses to stat (through a file, a name too long), with the token.
  for (const path of ['/index.html/x', `/${'a'.repeat(300)}.js`, `/assets/${'b'.repeat(5000)}`]) {
    const res = await fetch(`http://127.0.0.1:${port}${path}?token=${token}`)
    expect([200, 404, 503], path.slice(0, 40)).toContain(res.status)
    expect(child.exitCode, `${path.slice(0, 40)}: ${stderr}`).toBeNull()
  }

  // A second client is served as before.
  const ws = new WebSocket(`ws://127.0.0.1:${port}/api?token=${token}`)
  onCleanup(() => ws.terminate())
  const reply = new Promise<{ id: number; result?: { nodes: unknown[] } }>((resolve) => {
    ws.on('message', (d) => {
      const m = JSON.parse(d.toString())
      if (m.id === 1) resolve(m)
    })
  })
  await new Promise((r) => ws.once('open', r))
  ws.send(JSON.stringify({ id: 1, method: 'snapshot', args: [] }))
  expect((await reply).result?.nodes).toHaveLength(1)
  ws.close()

  expect(child.exitCode, stderr).toBeNull()
  child.kill('SIGTERM')
  expect(await new Promise((r) => child.once('exit', r)), stderr).toBe(0)
})
