/** known_hosts matching (plain, wildcard, negated, hashed, [host]:port) and host key decisions. */
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { HostKeyError } from '../../../src-main/nodes/ssh/errors'
import { checkHostKey } from '../../../src-main/nodes/ssh/hostKeys'
import { findKnownKeys, fingerprint, hostMatches, keyType, knownHostsName } from '../../../src-main/nodes/ssh/knownHosts'

const dir = mkdtempSync(join(tmpdir(), 'cd-kh-'))
function key(name: string): { blob: Buffer; base64: string; print: string } {
  const file = join(dir, name)
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', file])
  const base64 = readFileSync(`${file}.pub`, 'utf8').split(/\s+/)[1]
  const print = execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', `${file}.pub`], { encoding: 'utf8' }).split(/\s+/)[1]
  return { blob: Buffer.from(base64, 'base64'), base64, print }
}
const a = key('a')
const b = key('b')

describe('known_hosts', () => {
  it('prints fingerprints exactly as ssh-keygen does', () => {
    expect(fingerprint(a.blob)).toBe(a.print)
    expect(keyType(a.blob)).toBe('ssh-ed25519')
  })

  it('names non-22 ports as [host]:port', () => {
    expect(knownHostsName('lab1', 22)).toBe('lab1')
    expect(knownHostsName('lab1', 2222)).toBe('[lab1]:2222')
  })

  it('matches patterns, wildcards and negations', () => {
    expect(hostMatches('lab1,lab2', 'lab2')).toBe(true)
    expect(hostMatches('*.example.org,!bad.example.org', 'good.example.org')).toBe(true)
    expect(hostMatches('*.example.org,!bad.example.org', 'bad.example.org')).toBe(false)
    expect(hostMatches('[lab1]:2222', '[lab1]:2222')).toBe(true)
    expect(hostMatches('lab1', '[lab1]:2222')).toBe(false)
    expect(hostMatches('lab?', 'lab10')).toBe(false)
  })

  it('matches entries hashed by ssh-keygen -H', () => {
    const file = join(dir, 'hashed')
    writeFileSync(file, `[lab1]:2222 ssh-ed25519 ${a.base64}\nother ssh-ed25519 ${b.base64}\n`)
    execFileSync('ssh-keygen', ['-H', '-f', file], { stdio: 'ignore' })
    expect(readFileSync(file, 'utf8')).not.toContain('lab1')
    const found = findKnownKeys([file], '[lab1]:2222')
    expect(found).toHaveLength(1)
    expect(found[0].blob.equals(a.blob)).toBe(true)
    expect(findKnownKeys([file], 'lab1')).toEqual([])
  })

  it('accepts a known key, refuses an unknown one, records it with accept-new, and refuses a changed one', () => {
    const knownHostsFile = join(dir, 'known_hosts')
    writeFileSync(knownHostsFile, `lab1 ssh-ed25519 ${a.base64}\n`)
    const policy = { knownHostsFile }
    expect(() => checkHostKey(policy, 'lab1', 22, a.blob)).not.toThrow()
    const unknown = (() => {
      try {
        checkHostKey(policy, 'lab2', 22, b.blob)
      } catch (err) {
        return err as HostKeyError
      }
    })()
    expect(unknown).toBeInstanceOf(HostKeyError)
    expect(unknown!.fingerprint).toBe(b.print)
    checkHostKey({ ...policy, strictHostKeyChecking: 'accept-new' }, 'lab2', 22, b.blob)
    expect(readFileSync(knownHostsFile, 'utf8')).toBe(`lab1 ssh-ed25519 ${a.base64}\nlab2 ssh-ed25519 ${b.base64}\n`)
    expect(() => checkHostKey(policy, 'lab2', 22, b.blob)).not.toThrow()
    expect(() => checkHostKey({ ...policy, strictHostKeyChecking: 'accept-new' }, 'lab1', 22, b.blob)).toThrow(new RegExp(`${b.print.replace(/[+/]/g, '\\$&')}.*${a.print.replace(/[+/]/g, '\\$&')}`))
  })
})
