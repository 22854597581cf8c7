/**
 * The SSH launcher against a real OpenSSH sshd on loopback: host keys, authentication, remote
 * Node.js checks, quoting, the bundle upload, and no processes left after a stop.
 */
import { execFileSync } from 'node:child_process'
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Cluster } from '../../../src-main/cluster/Cluster'
import { agentBundle, HostKeyError, RemoteNodeError, SshError, SshKeyError, SshLauncher, type SshLauncherOptions } from '../../../src-main/nodes/ssh'
import { fingerprint } from '../../../src-main/nodes/ssh/knownHosts'
import { freePort, keygen, startSshAgent, startSshd, type Sshd } from '../../helpers/sshd'

let sshd: Sshd
let home: string
let knownHostsFile: string
const savedHome = process.env.CLUSTERDESK_HOME

beforeAll(async () => {
  home = mkdtempSync(join(tmpdir(), 'cd-ssh-home-'))
  knownHostsFile = join(home, 'known_hosts')
  // Every launch here names its knownHostsFile; the trust store is a temp one all the same.
  process.env.CLUSTERDESK_HOME = join(home, 'cdhome')
  sshd = await startSshd()
})
afterAll(async () => {
  if (savedHome === undefined) delete process.env.CLUSTERDESK_HOME
  else process.env.CLUSTERDESK_HOME = savedHome
  await sshd?.stop()
  rmSync(home, { recursive: true, force: true })
})

/** Options for the test sshd, trusting its host key unless told otherwise. */
function opts(extra: Partial<SshLauncherOptions> = {}): SshLauncherOptions {
  writeFileSync(knownHostsFile, `${sshd.knownHostsLine}\n`)
  return { host: sshd.host, port: sshd.port, user: 'root', identityFile: sshd.userKey, knownHostsFile, nodePath: process.execPath, agent: '', ...extra }
}

async function launchAndKill(options: SshLauncherOptions): Promise<void> {
  const agent = await new SshLauncher(options).launch()
  agent.kill()
  await agent.exited
}

/** Agents and engines (both run the bundle) started through this file's sshd; other files' agents do not count. */
const agentProcesses = (): number[] => sshd.descendants().filter((p) => p.cmdline.includes(agentBundle().fileName)).map((p) => p.pid)

describe('SshLauncher host keys', () => {
  it('refuses an unknown host key with its SHA256 fingerprint, then accepts and records it with accept-new', async () => {
    const given = join(home, 'empty_known_hosts')
    const base = { ...opts(), knownHostsFile: given }
    const err = await new SshLauncher(base).launch().catch((e: unknown) => e)
    expect(err).toBeInstanceOf(HostKeyError)
    expect((err as HostKeyError).level).toBe('host-key')
    expect((err as HostKeyError).fingerprint).toBe(fingerprint(sshd.hostKeyBlob))
    expect((err as HostKeyError).fingerprint).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/)
    expect((err as Error).message).toContain((err as HostKeyError).fingerprint)
    expect((err as HostKeyError).changed).toBe(false)

    await launchAndKill({ ...base, strictHostKeyChecking: 'accept-new' })
    // Recorded in the given knownHostsFile, the only one read (trustStore.test.ts has both rules in full).
    expect(readFileSync(given, 'utf8')).toContain(`[127.0.0.1]:${sshd.port} ssh-ed25519 ${sshd.hostKeyBlob.toString('base64')}`)
    // Now trusted, without accept-new.
    await launchAndKill(base)
  })

  it('matches hashed known_hosts entries', async () => {
    const file = join(home, 'hashed_known_hosts')
    writeFileSync(file, `${sshd.knownHostsLine}\n`)
    execFileSync('ssh-keygen', ['-H', '-f', file], { stdio: 'ignore' })
    expect(readFileSync(file, 'utf8')).toMatch(/^\|1\|/)
    await launchAndKill({ ...opts(), knownHostsFile: file })
  })

  it('refuses a changed host key, naming both fingerprints, even with accept-new', async () => {
    const old = opts()
    const oldPrint = fingerprint(sshd.hostKeyBlob)
    await sshd.changeHostKey()
    const newPrint = fingerprint(sshd.hostKeyBlob)
    const err = await new SshLauncher({ ...old, strictHostKeyChecking: 'accept-new' }).launch().catch((e: unknown) => e)
    expect(err).toBeInstanceOf(HostKeyError)
    expect((err as HostKeyError).changed).toBe(true)
    expect((err as Error).message).toContain(oldPrint)
    expect((err as Error).message).toContain(newPrint)
    expect((err as Error).message).toMatch(/CHANGED/)
  })
})

describe('SshLauncher authentication and reachability', () => {
  it('refuses a key the server does not know (client-authentication)', async () => {
    const stranger = keygen(join(home, `stranger_${Date.now()}`))
    const err = await new SshLauncher(opts({ identityFile: stranger })).launch().catch((e: unknown) => e)
    expect(err).toBeInstanceOf(SshError)
    expect((err as SshError).level).toBe('client-authentication')
    expect((err as Error).message).toMatch(/authorized_keys/)
  })

  it('logs in with an encrypted key and the right passphrase; names a wrong or missing one', async () => {
    const key = keygen(join(home, `enc_${Date.now()}`), { passphrase: "s3cret p'hrase" })
    sshd.authorize(`${key}.pub`)
    await launchAndKill(opts({ identityFile: key, passphrase: "s3cret p'hrase" }))
    const wrong = await new SshLauncher(opts({ identityFile: key, passphrase: 'nope' })).launch().catch((e: unknown) => e)
    expect(wrong).toBeInstanceOf(SshKeyError)
    expect((wrong as Error).message).toMatch(/wrong passphrase/)
    const missing = await new SshLauncher(opts({ identityFile: key })).launch().catch((e: unknown) => e)
    expect(missing).toBeInstanceOf(SshKeyError)
    expect((missing as Error).message).toMatch(/encrypted.*passphrase/)
  })

  it('logs in with an encrypted key that ssh-agent holds, without its passphrase; asks for it when the agent lacks it', async () => {
    const key = keygen(join(home, `agent_${Date.now()}`), { passphrase: 'agent pass' })
    sshd.authorize(`${key}.pub`)
    const agent = startSshAgent()
    try {
      const lacking = await new SshLauncher(opts({ identityFile: key, agent: agent.socket })).launch().catch((e: unknown) => e)
      expect(lacking).toBeInstanceOf(SshKeyError)
      expect((lacking as SshKeyError).problem).toBe('needs-passphrase')
      expect((lacking as Error).message).toMatch(/encrypted[\s\S]*does not hold it/)
      agent.add(key, 'agent pass')
      await launchAndKill(opts({ identityFile: key, agent: agent.socket }))
    } finally {
      agent.stop()
    }
  })

  it('says what it looked for when there is neither a key nor an ssh-agent', async () => {
    const saved = process.env.HOME
    process.env.HOME = mkdtempSync(join(tmpdir(), 'cd-nokeys-'))
    try {
      const err = await new SshLauncher(opts({ identityFile: undefined, agent: '' })).launch().catch((e: unknown) => e)
      expect(err).toBeInstanceOf(SshError)
      expect((err as SshError).level).toBe('client-authentication')
      expect((err as Error).message).toMatch(/no private key found \(looked for .*id_ed25519.*\) and no ssh-agent/)
    } finally {
      process.env.HOME = saved
    }
  })

  it('reports a closed port', async () => {
    const port = await freePort()
    const err = await new SshLauncher(opts({ port })).launch().catch((e: unknown) => e)
    expect(err).toBeInstanceOf(SshError)
    expect((err as SshError).level).toBe('client-socket')
    expect((err as Error).message).toMatch(/refused the connection/)
  })
})

describe('SshLauncher with ~/.ssh/config', () => {
  it('resolves a Host alias and connects through a ProxyJump hop', async () => {
    const sshConfigFile = join(home, 'ssh_config')
    const entry = (name: string, jump?: string) =>
      [`Host ${name}`, '  HostName 127.0.0.1', `  Port ${sshd.port}`, '  User root', `  IdentityFile ${sshd.userKey}`, ...(jump ? [`  ProxyJump ${jump}`] : [])].join('\n')
    writeFileSync(sshConfigFile, `${entry('lab', 'gate')}\n${entry('gate')}\n`)
    const { knownHostsFile: kh } = opts()
    const launcher = new SshLauncher({ host: 'lab', sshConfigFile, knownHostsFile: kh, nodePath: process.execPath, agent: '' })
    expect(launcher.label).toBe(`ssh://root@127.0.0.1:${sshd.port}`)
    const agent = await launcher.launch()
    agent.kill()
    await agent.exited
  })
})

describe('SshLauncher on the remote host', () => {
  it('says how to set nodePath when the remote node does not exist', async () => {
    const err = await new SshLauncher(opts({ nodePath: '/nonexistent/node' })).launch().catch((e: unknown) => e)
    expect(err).toBeInstanceOf(RemoteNodeError)
    expect((err as SshError).level).toBe('remote-node')
    expect((err as Error).message).toMatch(/not found.*nodePath/)
  })

  it('runs a node path with spaces and shell metacharacters, quoted', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'cd-q-')), "it's a $(touch pwned); `x` dir; x\nline")
    mkdirSync(dir, { recursive: true })
    const node = join(dir, 'no de')
    copyFileSync(process.execPath, node)
    execFileSync('chmod', ['+x', node])
    const cluster = new Cluster({ nodes: [{ kind: 'ssh', host: sshd.host, port: sshd.port, user: 'root', identityFile: sshd.userKey, knownHostsFile: opts().knownHostsFile, nodePath: node, engines: 1 }] })
    try {
      const rc = await cluster.start()
      expect(await rc.view(0).apply(() => process.execPath)).toBe(node)
    } finally {
      await cluster.stop()
    }
    expect(readdirNames(dir)).not.toContain('pwned')
  })

  it('uploads the bundle once, then reuses it', async () => {
    const { fileName } = agentBundle()
    const remote = join(process.env.HOME ?? '/root', '.cache', 'clusterdesk', fileName)
    rmSync(remote, { force: true })
    const stages: string[] = []
    await launchAndKill(opts({ onStage: (s) => stages.push(s) }))
    expect(stages).toEqual(['connecting', 'checking-node', 'uploading', 'starting'])
    const mtime = statSync(remote).mtimeMs
    expect(readFileSync(remote).equals(agentBundle().content)).toBe(true)
    stages.length = 0
    await launchAndKill(opts({ onStage: (s) => stages.push(s) }))
    expect(stages).not.toContain('uploading')
    expect(statSync(remote).mtimeMs).toBe(mtime)
    // Damaged in place, same size: replaced, not run.
    const damaged = Buffer.from(agentBundle().content)
    damaged.write('\u0000garbage\u0000', 0)
    writeFileSync(remote, damaged)
    stages.length = 0
    await launchAndKill(opts({ onStage: (s) => stages.push(s) }))
    expect(stages).toContain('uploading')
    expect(readFileSync(remote).equals(agentBundle().content)).toBe(true)
  })

  it('leaves no agent or engine processes after cluster.stop()', async () => {
    const cluster = new Cluster({ nodes: [{ kind: 'ssh', host: sshd.host, port: sshd.port, user: 'root', identityFile: sshd.userKey, knownHostsFile: opts().knownHostsFile, nodePath: process.execPath, engines: 2 }] })
    const rc = await cluster.start()
    expect(rc.ids).toEqual([0, 1])
    expect(cluster.nodes[0].key).toBe(`ssh://root@127.0.0.1:${sshd.port}`)
    expect(agentProcesses().length).toBeGreaterThanOrEqual(3)
    await cluster.stop()
    await expect.poll(agentProcesses, { timeout: 5000 }).toEqual([])
  })
})

function readdirNames(dir: string): string[] {
  return execFileSync('ls', ['-A', join(dir, '..')], { encoding: 'utf8' }).split('\n')
}
