/**
 * Which known_hosts a host key decision reads and writes: without knownHostsFile, ~/.ssh/known_hosts
 * (read) and clusterdesk's trust store (read and written); with one, that file only (as OpenSSH's
 * UserKnownHostsFile). HOME and CLUSTERDESK_HOME are fresh temp dirs: no real store is touched.
 */
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { Cluster } from '../../../src-main/cluster/Cluster'
import { ClusterConfigError } from '../../../src-main/cluster/options'
import { trustStoreFile } from '../../../src-main/home'
import { HostKeyError } from '../../../src-main/nodes/ssh/errors'
import { checkHostKey, hostKeyFiles, type HostKeyPolicy } from '../../../src-main/nodes/ssh/hostKeys'
import { fingerprint } from '../../../src-main/nodes/ssh/knownHosts'

const keys = mkdtempSync(join(tmpdir(), 'cd-hk-keys-'))
function key(name: string): { blob: Buffer; base64: string } {
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(keys, name)])
  const base64 = readFileSync(join(keys, `${name}.pub`), 'utf8').split(/\s+/)[1]
  return { blob: Buffer.from(base64, 'base64'), base64 }
}
const a = key('a')
const b = key('b')
afterAll(() => rmSync(keys, { recursive: true, force: true }))

let home: string
let userKnownHosts: string
beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), 'cd-hk-home-'))
  vi.stubEnv('HOME', home)
  vi.stubEnv('CLUSTERDESK_HOME', join(home, 'cdhome'))
  userKnownHosts = join(home, '.ssh', 'known_hosts')
  mkdirSync(join(home, '.ssh'))
})
afterEach(() => {
  vi.unstubAllEnvs()
  rmSync(home, { recursive: true, force: true })
})

function failure(policy: HostKeyPolicy, host: string, blob: Buffer): HostKeyError {
  try {
    checkHostKey(policy, host, 22, blob)
  } catch (err) {
    if (err instanceof HostKeyError) return err
    throw err
  }
  throw new Error(`checkHostKey accepted the key of ${host}`)
}
const trust = (file: string, host: string, k: { base64: string }): void => {
  mkdirSync(join(file, '..'), { recursive: true })
  writeFileSync(file, `${host} ssh-ed25519 ${k.base64}\n`, { flag: 'a' })
}

describe('without knownHostsFile', () => {
  it('reads ~/.ssh/known_hosts and the trust store under CLUSTERDESK_HOME', () => {
    expect(hostKeyFiles({})).toEqual({ read: [userKnownHosts, join(home, 'cdhome', 'known_hosts')], trustFile: join(home, 'cdhome', 'known_hosts') })
    trust(userKnownHosts, 'lab1', a)
    trust(trustStoreFile(), 'lab2', b)
    expect(() => checkHostKey({}, 'lab1', 22, a.blob)).not.toThrow()
    expect(() => checkHostKey({}, 'lab2', 22, b.blob)).not.toThrow()
    const unknown = failure({}, 'lab3', a.blob)
    expect(unknown.trustFile).toBe(trustStoreFile())
    expect(unknown.message).toContain(`records it in ${trustStoreFile()}, or accept it with \`ssh\` once`)
  })

  it('accept-new records in the trust store, never in ~/.ssh/known_hosts', () => {
    checkHostKey({ strictHostKeyChecking: 'accept-new' }, 'lab1', 22, a.blob)
    expect(readFileSync(trustStoreFile(), 'utf8')).toBe(`lab1 ssh-ed25519 ${a.base64}\n`)
    expect(existsSync(userKnownHosts)).toBe(false)
    // Private to the user, as ssh keeps ~/.ssh: the home folder 0700, the store 0600.
    expect(statSync(trustStoreFile()).mode & 0o777).toBe(0o600)
    expect(statSync(join(home, 'cdhome')).mode & 0o777).toBe(0o700)
  })
})

describe('with knownHostsFile', () => {
  it('reads only that file: a key in the trust store or ~/.ssh/known_hosts is unknown', () => {
    const given = join(home, 'given_known_hosts')
    writeFileSync(given, '')
    trust(trustStoreFile(), 'lab1', a)
    trust(userKnownHosts, 'lab1', a)
    const err = failure({ knownHostsFile: given }, 'lab1', a.blob)
    expect(err.changed).toBe(false)
    expect(err.fingerprint).toBe(fingerprint(a.blob))
    expect(err.trustFile).toBe(given)
    expect(err.message).toContain(given)
    expect(err.message).not.toContain('`ssh` once')
  })

  it('a conflicting key there is a changed key, even when the trust store has the presented one', () => {
    const given = join(home, 'given_known_hosts')
    trust(given, 'lab1', b)
    trust(trustStoreFile(), 'lab1', a)
    const err = failure({ knownHostsFile: given, strictHostKeyChecking: 'accept-new' }, 'lab1', a.blob)
    expect(err.changed).toBe(true)
    expect(err.knownFingerprint).toBe(fingerprint(b.blob))
    expect(readFileSync(given, 'utf8')).toBe(`lab1 ssh-ed25519 ${b.base64}\n`)
  })

  it('accept-new records there only (the trust store is not created)', () => {
    const given = join(home, 'sub', 'given_known_hosts')
    checkHostKey({ knownHostsFile: given, strictHostKeyChecking: 'accept-new' }, 'lab1', 22, a.blob)
    expect(readFileSync(given, 'utf8')).toBe(`lab1 ssh-ed25519 ${a.base64}\n`)
    expect(existsSync(trustStoreFile())).toBe(false)
    expect(() => checkHostKey({ knownHostsFile: given }, 'lab1', 22, a.blob)).not.toThrow()
  })

  it('an empty knownHostsFile is refused when the cluster is made, not read as a file named ""', () => {
    expect(() => new Cluster({ nodes: [{ kind: 'ssh', host: 'lab1', knownHostsFile: '' }] })).toThrow(ClusterConfigError)
    expect(() => new Cluster({ nodes: [{ kind: 'ssh', host: 'lab1', knownHostsFile: ' ' }] })).toThrow(/nodes\[0\]\.knownHostsFile must be the path of a known_hosts file/)
  })

  it('expands ~/ from the home directory', () => {
    trust(join(home, 'hosts'), 'lab1', a)
    expect(hostKeyFiles({ knownHostsFile: '~/hosts' })).toEqual({ read: [join(home, 'hosts')], trustFile: join(home, 'hosts') })
    expect(() => checkHostKey({ knownHostsFile: '~/hosts' }, 'lab1', 22, a.blob)).not.toThrow()
  })
})
