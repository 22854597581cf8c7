/**
 * One trust store of SSH host keys, against a real OpenSSH sshd: without knownHostsFile the
 * library, the service (the app's Trust), `serve` and the CLI read and write the same
 * `<CLUSTERDESK_HOME>/known_hosts`; a given knownHostsFile is the only user-level store read and
 * the one a trust writes to (as OpenSSH's UserKnownHostsFile). Every test has its own HOME and
 * CLUSTERDESK_HOME.
 */
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'
import { Cluster } from '../../../src-main/cluster/Cluster'
import { trustStoreFile } from '../../../src-main/home'
import { HostKeyError, SshLauncher, type SshLauncherOptions } from '../../../src-main/nodes/ssh'
import { fingerprint } from '../../../src-main/nodes/ssh/knownHosts'
import type { NodeInput, NodeTestResult } from '../../../src-main/service/api'
import { onCleanup, openService, tempDir } from '../../helpers/service'
import { keygen, publicKeyBlob, startSshd, type Sshd } from '../../helpers/sshd'
import { useTempHomes } from '../../helpers/tempHome'

const cli = join(fileURLToPath(new URL('../../..', import.meta.url)), 'dist/cli.js')
const homes = useTempHomes()
let sshd: Sshd

beforeAll(async () => {
  sshd = await startSshd()
})
afterAll(async () => {
  await sshd?.stop()
})

const target = (extra: Partial<SshLauncherOptions> = {}): SshLauncherOptions => ({
  host: sshd.host,
  port: sshd.port,
  user: 'root',
  identityFile: sshd.userKey,
  agent: '',
  nodePath: process.execPath,
  ...extra,
})
const sshNode = (): NodeInput => ({
  name: 'loopback',
  kind: 'ssh',
  engines: 1,
  nodePath: process.execPath,
  ssh: { host: sshd.host, port: sshd.port, user: 'root', identityFile: sshd.userKey, useAgent: false },
})
const nodeUrl = (extra = ''): string =>
  `ssh://root@${sshd.host}:${sshd.port}?engines=1&identityFile=${encodeURIComponent(sshd.userKey)}&nodePath=${encodeURIComponent(process.execPath)}${extra}`
/** `clusterdesk pi` on the sshd alone, without a terminal (so an unknown key cannot be asked about). */
const runPi = (url: string, ...more: string[]) =>
  spawnSync(process.execPath, [cli, 'pi', '--node', url, '--samples', '1e5', '--tasks', '2', '--json', ...more], { encoding: 'utf8', env: process.env, timeout: 60_000 })

/** The known_hosts line trusting the sshd, as clusterdesk records it. */
const line = (): string => sshd.knownHostsLine
const read = (file: string): string | null => (existsSync(file) ? readFileSync(file, 'utf8') : null)
/** Appends a known_hosts line to `file` (and its folder), as a user or an earlier trust would have. */
function trustIn(file: string, text = line()): void {
  mkdirSync(dirname(file), { recursive: true })
  writeFileSync(file, `${text}\n`, { flag: 'a' })
}
/** A known_hosts line giving the sshd's host name another key: what a conflicting store holds. */
function otherKeyLine(): { text: string; print: string } {
  const key = keygen(join(tempDir(), 'other_host_key'))
  const blob = publicKeyBlob(`${key}.pub`)
  return { text: `[${sshd.host}]:${sshd.port} ssh-ed25519 ${blob.toString('base64')}`, print: fingerprint(blob) }
}

/** `clusterdesk serve` on CLUSTERDESK_HOME (no --data-dir): calls one service method over its WebSocket. */
async function serveCall(method: string, args: unknown[]): Promise<{ result?: unknown; error?: { message: string } }> {
  const child = spawn(process.execPath, [cli, 'serve', '--port', '0'], { env: process.env, stdio: ['ignore', 'pipe', 'pipe'] })
  onCleanup(() => child.exitCode === null && child.signalCode === null && child.kill('SIGKILL'))
  const url = await new Promise<string>((resolve, reject) => {
    let out = ''
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString()
      const m = /serving (http:\S+)/.exec(out)
      if (m) resolve(m[1])
    })
    child.once('exit', (code) => reject(new Error(`serve exited (${code}) before printing its URL`)))
  })
  const { port, searchParams } = new URL(url)
  const ws = new WebSocket(`ws://127.0.0.1:${port}/api?token=${searchParams.get('token')}`)
  onCleanup(() => ws.close())
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject))
  const reply = new Promise<{ result?: unknown; error?: { message: string } }>((resolve) =>
    ws.on('message', (data) => {
      const message = JSON.parse(data.toString()) as { id?: number; result?: unknown; error?: { message: string } }
      if (message.id === 1) resolve(message)
    }),
  )
  ws.send(JSON.stringify({ id: 1, method, args }))
  const answer = await reply
  ws.close()
  child.kill('SIGTERM')
  expect(await new Promise((r) => child.once('exit', r))).toBe(0)
  return answer
}


async function launchAndKill(options: SshLauncherOptions): Promise<void> {
  const agent = await new SshLauncher(options).launch()
  agent.kill()
  await agent.exited
}
async function hostKeyFailure(options: SshLauncherOptions): Promise<HostKeyError> {
  const err = await new SshLauncher(options).launch().then(
    async (agent) => {
      agent.kill()
      await agent.exited
      return new Error('the launch succeeded')
    },
    (e: unknown) => e,
  )
  expect(err).toBeInstanceOf(HostKeyError)
  return err as HostKeyError
}

describe('a given knownHostsFile is the only user-level store read, and the one a trust writes to', () => {
  it('a key trusted in the trust store and in ~/.ssh/known_hosts is unknown with an empty knownHostsFile: HostKeyError with its fingerprint', async () => {
    trustIn(trustStoreFile())
    trustIn(homes.userKnownHosts)
    // Without knownHostsFile those stores do trust it...
    await launchAndKill(target())
    // ...but a given one replaces them, as OpenSSH's UserKnownHostsFile.
    const given = join(tempDir(), 'given_known_hosts')
    writeFileSync(given, '')
    const err = await hostKeyFailure(target({ knownHostsFile: given }))
    expect(err.changed).toBe(false)
    expect(err.fingerprint).toBe(fingerprint(sshd.hostKeyBlob))
    expect(err.message).toContain(err.fingerprint)
    expect(err.trustFile).toBe(given)
    expect(read(given)).toBe('')
  })

  it('accept-new records in the given file only: the trust store is unchanged, and still does not know the key', async () => {
    const other = otherKeyLine().text.replace(/^\S+/, 'elsewhere')
    trustIn(trustStoreFile(), other)
    const store = read(trustStoreFile())
    const given = join(tempDir(), 'sub', 'given_known_hosts')
    await launchAndKill(target({ knownHostsFile: given, strictHostKeyChecking: 'accept-new' }))
    expect(read(given)).toBe(`${line()}\n`)
    expect(read(trustStoreFile())).toBe(store)
    expect(existsSync(homes.userKnownHosts)).toBe(false)
    // Trusted there from now on; the default stores were not written.
    await launchAndKill(target({ knownHostsFile: given }))
    expect((await hostKeyFailure(target())).trustFile).toBe(trustStoreFile())
  })

  it('a conflicting key in the given file is refused as changed, even when the trust store has the right key, even with accept-new', async () => {
    trustIn(trustStoreFile())
    const other = otherKeyLine()
    const given = join(tempDir(), 'given_known_hosts')
    trustIn(given, other.text)
    const err = await hostKeyFailure(target({ knownHostsFile: given, strictHostKeyChecking: 'accept-new' }))
    expect(err.changed).toBe(true)
    expect(err.knownFingerprint).toBe(other.print)
    expect(err.fingerprint).toBe(fingerprint(sshd.hostKeyBlob))
    expect(err.message).toMatch(/CHANGED/)
    expect(read(given)).toBe(`${other.text}\n`)
  })

  it("the service given a knownHostsFile (the app's Trust): Test asks to trust despite the store; Trust writes to that file only", async () => {
    trustIn(trustStoreFile())
    const store = read(trustStoreFile())
    const given = join(tempDir(), 'given_known_hosts')
    writeFileSync(given, '')
    const svc = openService(tempDir(), { knownHostsFile: given })
    const print = fingerprint(sshd.hostKeyBlob)
    expect(await svc.testNode(sshNode())).toMatchObject({ ok: false, needsTrust: true, fingerprint: print, level: 'host-key' })
    await svc.trustHostKey(sshNode(), print)
    expect(read(given)).toBe(`${line()}\n`)
    expect(read(trustStoreFile())).toBe(store)
    expect(await svc.testNode(sshNode())).toMatchObject({ ok: true, fingerprint: print })
  })

  it('the CLI with ?knownHostsFile=: only that file is read, and --accept-new-host-keys writes to it', () => {
    trustIn(trustStoreFile())
    const store = read(trustStoreFile())
    const given = join(tempDir(), 'given_known_hosts')
    writeFileSync(given, '')
    const url = nodeUrl(`&knownHostsFile=${encodeURIComponent(given)}`)
    const refused = runPi(url)
    expect(refused.status, refused.stderr).toBe(1)
    expect(refused.stderr).toMatch(/is not known: ssh-ed25519 SHA256:/)
    // ssh would have to record it in that file too.
    expect(refused.stderr).toContain(`ssh -o UserKnownHostsFile=${given} -p ${sshd.port} ${sshd.host}`)
    const ok = runPi(url, '--accept-new-host-keys')
    expect(ok.status, ok.stderr).toBe(0)
    expect(read(given)).toBe(`${line()}\n`)
    expect(read(trustStoreFile())).toBe(store)
  })
})

describe('without knownHostsFile: one trust store for the library, the service, serve and the CLI', () => {
  it('a key accepted through the library is trusted by the service, by `serve` and by the CLI', async () => {
    const cluster = new Cluster({ nodes: [{ kind: 'ssh', ...target(), engines: 1, strictHostKeyChecking: 'accept-new' }] })
    onCleanup(() => cluster.stop())
    const rc = await cluster.start()
    expect(rc.ids).toEqual([0])
    await cluster.stop()
    expect(read(join(homes.clusterdesk, 'known_hosts'))).toBe(`${line()}\n`)
    expect(existsSync(homes.userKnownHosts)).toBe(false)

    const print = fingerprint(sshd.hostKeyBlob)
    expect(await openService(tempDir()).testNode(sshNode())).toMatchObject({ ok: true, fingerprint: print })

    const served = await serveCall('testNode', [sshNode()])
    expect(served.error).toBeUndefined()
    expect(served.result as NodeTestResult).toMatchObject({ ok: true, fingerprint: print })
    // serve keeps its data under the same home when no --data-dir is given.
    expect(existsSync(join(homes.clusterdesk, 'data', 'clusterdesk.db'))).toBe(true)

    // No terminal: an unknown key would fail the run instead of asking.
    const pi = runPi(nodeUrl())
    expect(pi.status, pi.stderr).toBe(0)
    expect((JSON.parse(pi.stdout) as { engines: number }).engines).toBe(1)
    expect(read(trustStoreFile())).toBe(`${line()}\n`)
  }, 120_000)

  it("a key trusted through the service (the app's Trust) is trusted by the library", async () => {
    const svc = openService(tempDir())
    const print = fingerprint(sshd.hostKeyBlob)
    const tested = await svc.testNode(sshNode())
    expect(tested).toMatchObject({ ok: false, needsTrust: true, fingerprint: print })
    await expect(new SshLauncher(target()).launch()).rejects.toBeInstanceOf(HostKeyError)
    await svc.trustHostKey(sshNode(), print)
    expect(read(trustStoreFile())).toBe(`${line()}\n`)
    await launchAndKill(target())
  })

  it('~/.ssh/known_hosts is read too, and never written', async () => {
    trustIn(homes.userKnownHosts)
    await launchAndKill(target({ strictHostKeyChecking: 'accept-new' }))
    expect(read(homes.userKnownHosts)).toBe(`${line()}\n`)
    expect(existsSync(trustStoreFile())).toBe(false)
  })
})
