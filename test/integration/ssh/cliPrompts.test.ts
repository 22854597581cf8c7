/**
 * The CLI's SSH prompts, for real: the built dist/cli.js runs under a pseudo-terminal
 * (util-linux `script`) against a real sshd; the test answers the host key question and types
 * passphrases. Also the non-terminal paths: --accept-new-host-keys, and the hints when nothing can ask.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { chunkSizes, piChunk } from '../../../src-main/experiments/pi/runPi'
import { shellCommand } from '../../../src-main/nodes/ssh/shellQuote'
import { keygen, startSshAgent, startSshd, type Sshd } from '../../helpers/sshd'

const cli = join(fileURLToPath(new URL('../../..', import.meta.url)), 'dist/cli.js')
const PASSPHRASE = 'correct horse battery'
const expectedHits = chunkSizes(1e6, 8).reduce((sum, n, i) => sum + piChunk(42, i, n), 0)

/** util-linux `script` gives the CLI a pseudo-terminal; installed from bsdutils when missing. */
function ensureScript(): void {
  if (existsSync('/usr/bin/script')) return
  execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'bsdutils'], { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } })
}

let sshd: Sshd
let keys: string
let encryptedKey: string
const homes: string[] = []
const children = new Set<ReturnType<typeof spawn>>()

beforeAll(async () => {
  ensureScript()
  sshd = await startSshd()
  keys = mkdtempSync(join(tmpdir(), 'cd-cli-keys-'))
  encryptedKey = keygen(join(keys, 'id_encrypted'), { passphrase: PASSPHRASE })
  sshd.authorize(`${encryptedKey}.pub`)
})
afterEach(() => {
  for (const child of children) child.kill('SIGKILL')
  children.clear()
})
afterAll(async () => {
  await sshd?.stop()
  rmSync(keys, { recursive: true, force: true })
  for (const home of homes) rmSync(home, { recursive: true, force: true })
})

/** A fresh HOME and CLUSTERDESK_HOME (no known_hosts, no trust store) and no ssh-agent. */
function env(): NodeJS.ProcessEnv {
  const home = mkdtempSync(join(tmpdir(), 'cd-cli-home-'))
  homes.push(home)
  const { SSH_AUTH_SOCK: _agent, ...rest } = process.env
  return { ...rest, HOME: home, CLUSTERDESK_HOME: join(home, 'cdhome'), TERM: 'dumb' }
}

const trustStore = (e: NodeJS.ProcessEnv): string => join(e.CLUSTERDESK_HOME!, 'known_hosts')

function nodeUrl(identityFile = sshd.userKey, extra = ''): string {
  return `ssh://root@127.0.0.1:${sshd.port}?engines=2&identityFile=${encodeURIComponent(identityFile)}&nodePath=${encodeURIComponent(process.execPath)}${extra}`
}

const piArgs = (url: string, ...more: string[]): string[] => ['pi', '--node', 'local:1', '--node', url, '--samples', '1e6', '--tasks', '8', '--json', ...more]

interface TtyRun {
  status: number | null
  /** Everything the terminal showed (stdout and stderr, as the pty merged them). */
  output: string
}

/**
 * Runs the CLI under `script -qfec` (a pty for its stdin, stdout and stderr); each time the output
 * matches a `when` pattern, types its `type` (the patterns are answered in order).
 */
function runInTty(args: string[], e: NodeJS.ProcessEnv, answers: { when: RegExp; type: string }[], timeoutMs = 60000): Promise<TtyRun> {
  const command = shellCommand([process.execPath, cli, ...args])
  const child = spawn('script', ['-qfec', command, '/dev/null'], { env: e, stdio: ['pipe', 'pipe', 'pipe'] })
  children.add(child)
  let output = ''
  let next = 0
  const onData = (chunk: Buffer): void => {
    output += chunk.toString()
    while (next < answers.length && answers[next].when.test(output)) child.stdin.write(answers[next++].type)
  }
  child.stdout.on('data', onData)
  child.stderr.on('data', onData)
  return new Promise<TtyRun>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`timed out; the terminal showed:\n${output}`))
    }, timeoutMs)
    child.once('close', (status) => {
      clearTimeout(timer)
      children.delete(child)
      child.stdin.destroy()
      resolve({ status, output })
    })
  })
}

const hitsIn = (output: string): number => Number(/"hits":\s*(\d+)/.exec(output)?.[1])
const enginesIn = (output: string): number => Number(/"engines":\s*(\d+)/.exec(output)?.[1])

describe('clusterdesk pi: unknown host key', () => {
  it('shows the fingerprint, and on y records the key and runs; the next run asks nothing', async () => {
    const e = env()
    const run = await runInTty(piArgs(nodeUrl()), e, [{ when: /\[y\/N\] $/, type: 'y\r' }])
    expect(run.output).toMatch(/authenticity of host \[127\.0\.0\.1\]:\d+ can't be established/)
    expect(run.output).toMatch(/ssh-ed25519 key fingerprint is SHA256:[A-Za-z0-9+/]{43}\./)
    expect(run.status, run.output).toBe(0)
    expect(hitsIn(run.output)).toBe(expectedHits)
    expect(enginesIn(run.output)).toBe(3)
    expect(readFileSync(trustStore(e), 'utf8')).toContain(`[127.0.0.1]:${sshd.port} ${sshd.knownHostsLine.split(' ').slice(1).join(' ')}`)

    const again = await runInTty(piArgs(nodeUrl()), e, [])
    expect(again.output).not.toMatch(/\[y\/N\]/)
    expect(again.status, again.output).toBe(0)
    expect(hitsIn(again.output)).toBe(expectedHits)
  })

  it("with ?knownHostsFile= in the URL, y records the key in that file only (not the trust store); the next run asks nothing", async () => {
    const e = env()
    const given = join(e.HOME!, 'given_known_hosts')
    const url = nodeUrl(sshd.userKey, `&knownHostsFile=${encodeURIComponent(given)}`)
    const run = await runInTty(piArgs(url), e, [{ when: /\[y\/N\] $/, type: 'y\r' }])
    expect(run.status, run.output).toBe(0)
    expect(readFileSync(given, 'utf8')).toBe(`${sshd.knownHostsLine}\n`)
    expect(existsSync(trustStore(e))).toBe(false)
    const again = await runInTty(piArgs(url), e, [])
    expect(again.output).not.toMatch(/\[y\/N\]/)
    expect(again.status, again.output).toBe(0)
    expect(hitsIn(again.output)).toBe(expectedHits)
  })

  it('on n (or just Enter) exits 1 and trusts nothing', async () => {
    for (const answer of ['n\r', '\r']) {
      const e = env()
      const run = await runInTty(piArgs(nodeUrl()), e, [{ when: /\[y\/N\] $/, type: answer }])
      expect(run.status, run.output).toBe(1)
      expect(run.output).toMatch(/host key of \[127\.0\.0\.1\]:\d+ is not known: ssh-ed25519 SHA256:/)
      expect(run.output).toMatch(/Not trusted; nothing was run/)
      expect(run.output).not.toMatch(/"hits"/)
      expect(existsSync(trustStore(e))).toBe(false)
    }
  })

  it('Ctrl-C at a prompt exits 130 (interrupted)', async () => {
    const e = env()
    const run = await runInTty(piArgs(nodeUrl()), e, [{ when: /\[y\/N\] $/, type: '\x03' }])
    expect(run.status, run.output).toBe(130)
    expect(existsSync(trustStore(e))).toBe(false)
    const secret = await runInTty(piArgs(nodeUrl(encryptedKey, '&strictHostKeyChecking=accept-new')), env(), [{ when: /Passphrase for .*: $/, type: '\x03' }])
    expect(secret.status, secret.output).toBe(130)
  })

  it('without a terminal: fails with the fingerprint and how to trust it; --accept-new-host-keys runs', () => {
    const e = env()
    const refused = spawnSync(process.execPath, [cli, ...piArgs(nodeUrl())], { encoding: 'utf8', env: e, timeout: 60000 })
    expect(refused.status, refused.stderr).toBe(1)
    expect(refused.stderr).toMatch(/is not known: ssh-ed25519 SHA256:/)
    expect(refused.stderr).toMatch(/--accept-new-host-keys/)
    expect(refused.stderr).toMatch(new RegExp(`ssh -p ${sshd.port} 127\\.0\\.0\\.1`))

    const ok = spawnSync(process.execPath, [cli, ...piArgs(nodeUrl(), '--accept-new-host-keys')], { encoding: 'utf8', env: e, timeout: 60000 })
    expect(ok.stderr).toBe('')
    expect(ok.status, ok.stderr).toBe(0)
    expect((JSON.parse(ok.stdout) as { hits: number }).hits).toBe(expectedHits)
    expect(readFileSync(trustStore(e), 'utf8')).toContain(`[127.0.0.1]:${sshd.port} ssh-ed25519 `)
  })

  it('never asks about a changed key: refused with both fingerprints, even with --accept-new-host-keys', async () => {
    const e = env()
    const first = spawnSync(process.execPath, [cli, ...piArgs(nodeUrl(), '--accept-new-host-keys')], { encoding: 'utf8', env: e, timeout: 60000 })
    expect(first.status, first.stderr).toBe(0)
    await sshd.changeHostKey()
    const run = await runInTty(piArgs(nodeUrl(), '--accept-new-host-keys'), e, [])
    expect(run.status, run.output).toBe(1)
    expect(run.output).not.toMatch(/\[y\/N\]/)
    expect(run.output).toMatch(/host key of \[127\.0\.0\.1\]:\d+ has CHANGED: it presented ssh-ed25519 SHA256:\S+, but .* trusts ssh-ed25519 SHA256:/)
  })
})

describe('clusterdesk pi: encrypted identity file', () => {
  // The host key is trusted up front here, so only the passphrase is asked.
  const url = (): string => nodeUrl(encryptedKey, '&strictHostKeyChecking=accept-new')

  it('asks for the passphrase with echo off and runs', async () => {
    const run = await runInTty(piArgs(url()), env(), [{ when: /Passphrase for .*id_encrypted: $/, type: `${PASSPHRASE}\r` }])
    expect(run.output).toContain(`Passphrase for ${encryptedKey}: `)
    expect(run.output).not.toContain(PASSPHRASE.split(' ')[1])
    expect(run.status, run.output).toBe(0)
    expect(hitsIn(run.output)).toBe(expectedHits)
  })

  it('asks again after a wrong passphrase, and fails clearly after three', async () => {
    const retried = await runInTty(piArgs(url()), env(), [
      { when: /Passphrase for .*: $/, type: 'not it\r' },
      { when: /try again\.\s+Passphrase for .*: $/, type: `${PASSPHRASE}\r` },
    ])
    expect(retried.status, retried.output).toBe(0)
    expect(hitsIn(retried.output)).toBe(expectedHits)

    const wrong = { when: /Passphrase for .*: $/, type: 'not it\r' }
    const failed = await runInTty(piArgs(url()), env(), [wrong, { ...wrong, when: /try again\.\s+Passphrase for .*: $/ }, { ...wrong, when: /try again\.\s+Passphrase[^]*try again\.\s+Passphrase for .*: $/ }])
    expect(failed.status, failed.output).toBe(1)
    expect(failed.output).toMatch(/wrong passphrase for the identity file .*id_encrypted[\s\S]*3 wrong passphrases/)
    expect(failed.output.match(/Passphrase for /g)).toHaveLength(3)
    expect(failed.output).not.toContain('not it')
    expect(failed.output).not.toMatch(/"hits"/)
  })

  it('asks for the passphrase and then the host key in one run', async () => {
    // The key is read before connecting, so its passphrase comes first.
    const run = await runInTty(piArgs(nodeUrl(encryptedKey)), env(), [
      { when: /Passphrase for .*: $/, type: `${PASSPHRASE}\r` },
      { when: /\[y\/N\] $/, type: 'y\r' },
    ])
    expect(run.status, run.output).toBe(0)
    expect(hitsIn(run.output)).toBe(expectedHits)
  })

  it('uses an ssh-agent that holds the key instead of asking (no terminal needed)', () => {
    const agent = startSshAgent()
    try {
      agent.add(encryptedKey, PASSPHRASE)
      const run = spawnSync(process.execPath, [cli, ...piArgs(url())], { encoding: 'utf8', env: { ...env(), SSH_AUTH_SOCK: agent.socket }, timeout: 60000 })
      expect(run.stderr).toBe('')
      expect(run.status, run.stderr).toBe(0)
      expect((JSON.parse(run.stdout) as { hits: number }).hits).toBe(expectedHits)
    } finally {
      agent.stop()
    }
  })

  it('without a terminal: fails saying to load the key into ssh-agent', () => {
    const run = spawnSync(process.execPath, [cli, ...piArgs(url())], { encoding: 'utf8', env: env(), timeout: 60000 })
    expect(run.status, run.stderr).toBe(1)
    expect(run.stderr).toMatch(/identity file .*id_encrypted is encrypted/)
    expect(run.stderr).toMatch(/ssh-add .*id_encrypted/)
  })
})
