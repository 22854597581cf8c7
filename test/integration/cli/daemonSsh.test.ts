/**
 * `clusterdesk start` with an SSH node (a real sshd on loopback): an unknown host key without a
 * terminal fails in the foreground with what to do, and nothing is left on either side; with
 * --accept-new-host-keys it runs; `stop` and `kill -9` of the daemon leave no agent or engine
 * on the SSH host.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { waitGone } from '../../helpers/cluster'
import { startSshd, type Sshd } from '../../helpers/sshd'
import { freshHome, runCli, waitNoProcesses } from './cliProcess'

let sshd: Sshd
let userHome: string

beforeAll(async () => {
  sshd = await startSshd()
  userHome = mkdtempSync(join(tmpdir(), 'cd-daemon-ssh-home-'))
})
afterAll(async () => {
  await sshd?.stop()
  rmSync(userHome, { recursive: true, force: true })
})

// HOME is a fresh folder: no ~/.ssh/known_hosts trusts the test server.
const env = (): NodeJS.ProcessEnv => ({ HOME: userHome, XDG_CONFIG_HOME: '' })
const node = (): string => `ssh://root@127.0.0.1:${sshd.port}?engines=2&identityFile=${encodeURIComponent(sshd.userKey)}&nodePath=${encodeURIComponent(process.execPath)}`
/** Agents and engines the sshd's sessions run. */
const remoteAgents = (): number[] => sshd.descendants().filter((p) => p.cmdline.includes('agent')).map((p) => p.pid)

async function until(done: () => boolean, timeoutMs = 10_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs
  while (!done() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100))
  return done()
}

describe('clusterdesk start with an SSH node', () => {
  it('an unknown host key without a terminal fails with the fingerprint and how to trust it; nothing is left', async () => {
    const home = freshHome()
    const r = await runCli(home, ['start', '--profile', 'lab', '--node', node()], undefined, env())
    expect(r.code).toBe(1)
    expect(r.stderr).toMatch(/host key of \[127\.0\.0\.1\]:\d+ is not known: ssh-ed25519 SHA256:/)
    expect(r.stderr).toContain('--accept-new-host-keys')
    expect(await waitNoProcesses(home)).toEqual([])
    expect(await until(() => remoteAgents().length === 0)).toBe(true)
  })

  it('runs with --accept-new-host-keys; stop leaves nothing on the SSH host', async () => {
    const home = freshHome()
    const r = await runCli(home, ['start', '--json', '--profile', 'lab', '--node', node(), '--accept-new-host-keys'], undefined, env())
    expect(r.code).toBe(0)
    const started = JSON.parse(r.stdout) as { pid: number; engines: Array<{ pid: number | null }> }
    expect(started.engines).toHaveLength(2)
    expect(remoteAgents().length).toBeGreaterThanOrEqual(1)
    const stop = await runCli(home, ['stop', '--profile', 'lab'], undefined, env())
    expect(stop.code).toBe(0)
    expect(await waitGone([started.pid, ...started.engines.map((e) => e.pid!)])).toEqual([])
    expect(await until(() => remoteAgents().length === 0)).toBe(true)
    expect(await waitNoProcesses(home)).toEqual([])
  })

  it('a daemon killed with kill -9 leaves no agent or engine on the SSH host', async () => {
    const home = freshHome()
    const r = await runCli(home, ['start', '--json', '--profile', 'lab', '--node', node(), '--accept-new-host-keys'], undefined, env())
    expect(r.code).toBe(0)
    const started = JSON.parse(r.stdout) as { pid: number; engines: Array<{ pid: number | null }> }
    process.kill(started.pid, 'SIGKILL')
    // The SSH channel closes with the daemon; the remote agent then kills its engines.
    expect(await waitGone(started.engines.map((e) => e.pid!), 15_000)).toEqual([])
    expect(await until(() => remoteAgents().length === 0, 15_000)).toBe(true)
  })
})
