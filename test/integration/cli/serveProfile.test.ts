/**
 * `clusterdesk serve --profile P` with the built CLI: attached to a real `clusterdesk start` daemon
 * (which outlives serve), or, when no cluster runs under P, serving its own cluster published as P.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'
import { freshHome, root, runCli } from './cliProcess'

interface Served {
  child: ChildProcess
  port: number
  token: string
  stderr: () => string
}

function serve(home: string, args: string[]): Promise<Served> {
  const child = spawn(process.execPath, [join(root, 'dist/cli.js'), 'serve', '--port', '0', '--data-dir', join(home, 'serve-data'), ...args], {
    cwd: root,
    env: { ...process.env, CLUSTERDESK_HOME: home },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stderr = ''
  child.stderr!.on('data', (d: Buffer) => (stderr += d))
  return new Promise((resolve, reject) => {
    let out = ''
    child.stdout!.on('data', (d: Buffer) => {
      out += d
      const m = /^clusterdesk is serving http:\/\/127\.0\.0\.1:(\d+)\/\?token=([0-9a-f]+)\n/.exec(out)
      if (m) resolve({ child, port: Number(m[1]), token: m[2], stderr: () => stderr })
    })
    child.once('exit', (code) => reject(new Error(`serve exited (${code}) before printing its URL\n${out}\n${stderr}`)))
  })
}

/** One call of the service API over the page's WebSocket. */
async function call<T>(served: Served, method: string, args: unknown[] = []): Promise<T> {
  const ws = new WebSocket(`ws://127.0.0.1:${served.port}/api?token=${served.token}`, { origin: `http://127.0.0.1:${served.port}` })
  try {
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject))
    return await new Promise<T>((resolve, reject) => {
      ws.on('message', (d) => {
        const m = JSON.parse(d.toString()) as { id?: number; result?: T; error?: { message: string } }
        if (m.id !== 1) return
        if (m.error) reject(new Error(m.error.message))
        else resolve(m.result as T)
      })
      ws.send(JSON.stringify({ id: 1, method, args }))
    })
  } finally {
    ws.close()
  }
}

const stopServe = async (served: Served): Promise<number | null> => {
  served.child.kill('SIGTERM')
  return new Promise((resolve) => served.child.once('exit', (code) => resolve(code)))
}

interface Listed {
  profile: string
  state: string
  pid: number
  engines: number
}

async function list(home: string): Promise<Listed[]> {
  const r = await runCli(home, ['list', '--json'])
  expect(r.code, r.stderr).toBe(0)
  return JSON.parse(r.stdout) as Listed[]
}

interface Snapshot {
  profile: { current: string | null; attached: boolean; own: string | null }
  engines: Array<{ id: number; pid: number | null; nodeName: string }>
}

describe('clusterdesk serve --profile', () => {
  it('attaches to the cluster `clusterdesk start` runs under that profile, which outlives serve', async () => {
    const home = freshHome()
    const started = await runCli(home, ['start', '--json', '-n', '2', '--profile', 'lab'])
    expect(started.code, started.stderr).toBe(0)
    const daemon = JSON.parse(started.stdout) as { pid: number; engines: Array<{ pid: number }> }

    const served = await serve(home, ['--profile', 'lab'])
    const snapshot = await call<Snapshot>(served, 'snapshot')
    expect(snapshot.profile).toMatchObject({ current: 'lab', attached: true })
    expect(snapshot.engines.map((e) => e.pid).sort()).toEqual(daemon.engines.map((e) => e.pid).sort())
    expect(snapshot.engines.every((e) => e.nodeName.endsWith('(lab)'))).toBe(true)
    expect(served.stderr()).toContain("showing profile 'lab'")

    expect(await stopServe(served)).toBe(0)
    const after = (await list(home)).find((p) => p.profile === 'lab')
    expect(after).toMatchObject({ state: 'running', pid: daemon.pid, engines: 2 })
    expect((await runCli(home, ['stop', '--profile', 'lab'])).code).toBe(0)
  }, 60_000)

  it('publishes its own cluster under that profile when none runs there', async () => {
    const home = freshHome()
    const served = await serve(home, ['--profile', 'solo'])
    const snapshot = await call<Snapshot>(served, 'snapshot')
    expect(snapshot.profile).toMatchObject({ own: 'solo', current: 'solo', attached: false })
    expect((await list(home)).find((p) => p.profile === 'solo')).toMatchObject({ state: 'running', pid: served.child.pid })
    expect(served.stderr()).toContain("published under it")
    expect(await stopServe(served)).toBe(0)
    expect((await list(home)).find((p) => p.profile === 'solo')).toBeUndefined()
  }, 60_000)

  it('refuses a profile name that is not one, before serving', async () => {
    const r = await runCli(freshHome(), ['serve', '--port', '0', '--profile', '../x'])
    expect(r.code).toBe(2)
    expect(r.stderr).toContain("'../x' is not a profile name")
  })
})
