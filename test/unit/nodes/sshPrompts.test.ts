/** The CLI's decisions after an SSH start failed: what is asked, what is refused, what is retried. */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { createSshRetry } from '../../../src-main/cli/sshPrompts'
import { trustStoreFile } from '../../../src-main/home'
import type { NodeSpec } from '../../../src-main/cluster/options'
import { HostKeyError, SshKeyError } from '../../../src-main/nodes/ssh/errors'

// An ssh-ed25519 public key blob (type string + 32 bytes).
const blob = Buffer.concat([Buffer.from([0, 0, 0, 11]), Buffer.from('ssh-ed25519'), Buffer.from([0, 0, 0, 32]), Buffer.alloc(32, 7)])
const unknown = (): HostKeyError => new HostKeyError('the host key of [h]:2222 is not known: ssh-ed25519 SHA256:abc.', '[h]:2222', 'SHA256:abc', undefined, blob)
const nodes: NodeSpec[] = [
  { kind: 'local', engines: 1 },
  { kind: 'ssh', host: 'h', port: 2222, identityFile: '/keys/a' },
  { kind: 'ssh', host: 'g', identityFile: '/keys/b' },
]

const dirs: string[] = []
afterEach(() => {
  vi.unstubAllEnvs()
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
})
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'cd-prompts-'))
  dirs.push(dir)
  return dir
}
/** A fresh CLUSTERDESK_HOME (its trust store not created yet); returns the trust store's path. */
function store(): string {
  vi.stubEnv('CLUSTERDESK_HOME', join(tempDir(), 'home'))
  return trustStoreFile()
}

describe('createSshRetry', () => {
  it('asks about an unknown key once; yes records exactly that key and retries', async () => {
    const file = store()
    const askYesNo = vi.fn(async () => true)
    const write = vi.fn()
    const retry = createSshRetry({ interactive: true, askYesNo, write })
    await expect(retry(unknown(), nodes)).resolves.toBe(nodes)
    expect(write.mock.calls.join('')).toMatch(/\[h\]:2222[\s\S]*ssh-ed25519 key fingerprint is SHA256:abc/)
    expect(readFileSync(file, 'utf8')).toBe(`[h]:2222 ssh-ed25519 ${blob.toString('base64')}\n`)
    // Still failing after it was trusted: reported, not asked again.
    await expect(retry(unknown(), nodes)).rejects.toThrow(/is not known/)
    expect(askYesNo).toHaveBeenCalledTimes(1)
  })

  it('no records nothing and fails', async () => {
    const file = store()
    const retry = createSshRetry({ interactive: true, askYesNo: async () => false, write: () => undefined })
    await expect(retry(unknown(), nodes)).rejects.toThrow(/Not trusted; nothing was run/)
    expect(() => readFileSync(file)).toThrow()
  })

  it('never asks about a changed or revoked key', async () => {
    const askYesNo = vi.fn(async () => true)
    store()
    const retry = createSshRetry({ interactive: true, askYesNo, write: () => undefined })
    await expect(retry(new HostKeyError('CHANGED', '[h]:2222', 'SHA256:new', 'SHA256:old'), nodes)).rejects.toThrow('CHANGED')
    await expect(retry(new HostKeyError('revoked', '[h]:2222', 'SHA256:abc'), nodes)).rejects.toThrow('revoked')
    expect(askYesNo).not.toHaveBeenCalled()
  })

  it('without a terminal says how to trust the key', async () => {
    store()
    const retry = createSshRetry({ interactive: false })
    await expect(retry(unknown(), nodes)).rejects.toThrow(/SHA256:abc[\s\S]*--accept-new-host-keys[\s\S]*`ssh -p 2222 h`/)
  })

  it("records a key trusted at the prompt in the node's own knownHostsFile, the file the launcher named, not the trust store", async () => {
    const home = store()
    const given = join(tempDir(), 'given_known_hosts')
    const err = new HostKeyError('the host key of [h]:2222 is not known.', '[h]:2222', 'SHA256:abc', undefined, blob, given)
    const retry = createSshRetry({ interactive: true, askYesNo: async () => true, write: () => undefined })
    await expect(retry(err, nodes)).resolves.toBe(nodes)
    expect(readFileSync(given, 'utf8')).toBe(`[h]:2222 ssh-ed25519 ${blob.toString('base64')}\n`)
    expect(existsSync(home)).toBe(false)
  })

  it('without a terminal, a node with its own knownHostsFile is told to let ssh record the key there', async () => {
    store()
    const err = new HostKeyError('the host key of [h]:2222 is not known.', '[h]:2222', 'SHA256:abc', undefined, blob, '/keys/kh')
    await expect(createSshRetry({ interactive: false })(err, nodes)).rejects.toThrow('`ssh -o UserKnownHostsFile=/keys/kh -p 2222 h`')
  })

  it('asks a passphrase once per file and gives it to the nodes using that file only', async () => {
    const askSecret = vi.fn(async () => 'secret')
    const retry = createSshRetry({ interactive: true, askSecret })
    const needs = (): SshKeyError => new SshKeyError('the identity file /keys/a is encrypted', '/keys/a', 'needs-passphrase')
    const next = await retry(needs(), nodes)
    expect(askSecret).toHaveBeenCalledWith('Passphrase for /keys/a: ')
    expect(next[1]).toMatchObject({ identityFile: '/keys/a', passphrase: 'secret' })
    expect(next[2]).not.toHaveProperty('passphrase')
    // Wrong: asked again, up to three tries in all, then the run fails.
    const wrong = (): SshKeyError => new SshKeyError('wrong passphrase for the identity file /keys/a', '/keys/a', 'wrong-passphrase')
    askSecret.mockResolvedValueOnce('second').mockResolvedValueOnce('third')
    const again = await retry(wrong(), next)
    expect(again[1]).toMatchObject({ identityFile: '/keys/a', passphrase: 'second' })
    expect(again[2]).not.toHaveProperty('passphrase')
    expect((await retry(wrong(), again))[1]).toMatchObject({ passphrase: 'third' })
    await expect(retry(wrong(), again)).rejects.toThrow(/wrong passphrase[\s\S]*3 wrong passphrases/)
    expect(askSecret).toHaveBeenCalledTimes(3)
    // A wrong passphrase that was not typed at the prompt (given in the node's options) is not asked again.
    const fresh = createSshRetry({ interactive: true, askSecret })
    await expect(fresh(wrong(), nodes)).rejects.toThrow(/wrong passphrase/)
    expect(askSecret).toHaveBeenCalledTimes(3)
  })

  it("asks for an encrypted key of ~/.ssh/config and gives the passphrase to the nodes that name no key", async () => {
    const askSecret = vi.fn(async () => 'from config')
    const retry = createSshRetry({ interactive: true, askSecret })
    const withAlias: NodeSpec[] = [...nodes, { kind: 'ssh', host: 'lab-alias' }]
    const next = await retry(new SshKeyError('the identity file /home/bo/.ssh/id_lab is encrypted', '/home/bo/.ssh/id_lab', 'needs-passphrase'), withAlias)
    expect(askSecret).toHaveBeenCalledWith('Passphrase for /home/bo/.ssh/id_lab: ')
    expect(next[3]).toEqual({ kind: 'ssh', host: 'lab-alias', passphrase: 'from config' })
    expect(next[1]).not.toHaveProperty('passphrase')
  })

  it('without a terminal says to ssh-add the key (an agent holding it was tried by the launcher already)', async () => {
    const needs = new SshKeyError('the identity file /keys/b is encrypted', '/keys/b', 'needs-passphrase')
    const noTerminal = createSshRetry({ interactive: false })
    await expect(noTerminal(needs, nodes)).rejects.toThrow(/ssh-add \/keys\/b/)
  })

  it('passes other errors through', async () => {
    const retry = createSshRetry({ interactive: true })
    const err = new Error('boom')
    await expect(retry(err, nodes)).rejects.toBe(err)
  })
})
