/**
 * `clusterdesk start` with an SSH node (a real sshd on loopback): an unknown host key without a
 * terminal fails in the foreground with what to do, and nothing is left on either side; with
 * --accept-new-host-keys it runs; `stop` and `kill -9` of the daemon leave no agent or engine
 * on the SSH host.
 */
import { spawn } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { waitGone } from '../../helpers/cluster'
import { shellCommand } from '../../../src-main/nodes/ssh/shellQuote'
import { keygen, startSshd, type Sshd } from '../../helpers/sshd'
import { freshHome, processesOf, root, runCli, waitNoProcesses } from './cliProcess'

const PASSPHRASE = 'correct horse battery'

let sshd: Sshd
let userHome: string
let encryptedKey: string

beforeAll(async () => {
  sshd = await startSshd()
  userHome = mkdtempSync(join(tmpdir(), 'cd-daemon-ssh-home-'))
  encryptedKey = keygen(join(userHome, 'id_encrypted'), { passphrase: PASSPHRASE })
  sshd.authorize(`${encryptedKey}.pub`)
})
afterAll(async () => {
  await sshd?.stop()
  rmSync(userHome, { recursive: true, force: true })
})

// HOME is a fresh folder: no ~/.ssh/known_hosts trusts the test server.
const env = (): NodeJS.ProcessEnv => ({ HOME: userHome, XDG_CONFIG_HOME: '' })
const node = (identityFile = sshd.userKey): string =>
  `ssh://root@127.0.0.1:${sshd.port}?engines=2&identityFile=${encodeURIComponent(identityFile)}&nodePath=${encodeURIComponent(process.execPath)}`
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

/**
 * Runs the CLI under util-linux `script` (a pseudo-terminal); each time the output matches the
 * next `when`, types its `type`. Resolves with everything the terminal showed.
 */
function runInTty(home: string, args: string[], answers: { when: RegExp; type: string }[]): Promise<{ status: number | null; output: string }> {
  const { SSH_AUTH_SOCK: _agent, ...rest } = process.env
  const command = shellCommand([process.execPath, join(root, 'dist/cli.js'), ...args])
  // Its own HOME: no key trusted by the other tests (accept-new records into ~/.config/clusterdesk).
  const user = join(home, 'user')
  mkdirSync(user, { recursive: true })
  const e = { ...rest, HOME: user, XDG_CONFIG_HOME: '', CLUSTERDESK_HOME: home, TERM: 'dumb' }
  const child = spawn('script', ['-qfec', command, '/dev/null'], { env: e, stdio: ['pipe', 'pipe', 'pipe'] })
  let output = ''
  let next = 0
  const onData = (chunk: Buffer): void => {
    output += chunk.toString()
    while (next < answers.length && answers[next].when.test(output)) child.stdin.write(answers[next++].type)
  }
  child.stdout.on('data', onData)
  child.stderr.on('data', onData)
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 80_000)
    child.once('close', (status) => {
      clearTimeout(timer)
      child.stdin.destroy()
      resolve({ status, output })
    })
  })
}

describe.skipIf(!existsSync('/usr/bin/script'))('clusterdesk start in a terminal (util-linux script)', () => {
  it('asks for the passphrase and to trust the host key in the foreground, then the daemon runs; the passphrase is in no command line or log', async () => {
    const home = freshHome()
    const run = await runInTty(home, ['start', '--profile', 'lab', '--node', node(encryptedKey)], [
      // The identity file is read before the host is reached: its passphrase is asked first.
      { when: /Passphrase for .*: $/, type: `${PASSPHRASE}\r` },
      { when: /\[y\/N\] $/, type: 'y\r' },
    ])
    expect(run.output).toMatch(/authenticity of host \[127\.0\.0\.1\]:\d+ can't be established/)
    expect(run.status, run.output).toBe(0)
    expect(run.output).toMatch(/profile 'lab' is running with 2 engines/)
    const daemon = processesOf(home).find((pid) => readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('_daemon'))
    expect(daemon).toBeDefined()
    expect(readFileSync(`/proc/${daemon}/cmdline`, 'utf8')).not.toContain(PASSPHRASE)
    expect(readFileSync(join(home, 'profiles', 'lab', 'controller.log'), 'utf8')).not.toContain(PASSPHRASE)
    const stop = await runCli(home, ['stop', '--profile', 'lab'], undefined, env())
    expect(stop.code).toBe(0)
    expect(await until(() => remoteAgents().length === 0)).toBe(true)
  }, 90_000)
})
