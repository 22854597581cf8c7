/**
 * OpenSSH known_hosts files: plain, wildcard and hashed (`|1|salt|hash`) host patterns, the
 * `[host]:port` form for other ports, and `@revoked` markers. Keys are compared as raw blobs.
 */
import { createHash, createHmac } from 'node:crypto'
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs'
import { dirname } from 'node:path'

/** How known_hosts names a host: `host` on port 22, `[host]:port` elsewhere. */
export function knownHostsName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`
}

/** `SHA256:…` as `ssh-keygen -l` and `ssh` print it (unpadded base64 of the key blob's SHA-256). */
export function fingerprint(keyBlob: Buffer): string {
  return `SHA256:${createHash('sha256').update(keyBlob).digest('base64').replace(/=+$/, '')}`
}

/** The algorithm name a key blob starts with (`ssh-ed25519`, `ssh-rsa`, …). */
export function keyType(keyBlob: Buffer): string {
  if (keyBlob.length < 4) return ''
  const len = keyBlob.readUInt32BE(0)
  return keyBlob.subarray(4, 4 + len).toString('latin1')
}

export interface KnownKey {
  type: string
  blob: Buffer
  revoked: boolean
  file: string
  line: number
}

/** Every key the files list for `name` (`host` or `[host]:port`); missing files are skipped. */
export function findKnownKeys(files: string[], name: string): KnownKey[] {
  const found: KnownKey[] = []
  for (const file of files) {
    if (!existsSync(file)) continue
    readFileSync(file, 'utf8')
      .split(/\r?\n/)
      .forEach((raw, i) => {
        const line = raw.trim()
        if (line === '' || line.startsWith('#')) return
        const fields = line.split(/\s+/)
        let marker = ''
        if (fields[0].startsWith('@')) marker = fields.shift()!
        // Certificate authorities sign host certificates, which this launcher does not use.
        if (marker === '@cert-authority' || fields.length < 3) return
        const [patterns, type, base64] = fields
        if (!hostMatches(patterns, name)) return
        found.push({ type, blob: Buffer.from(base64, 'base64'), revoked: marker === '@revoked', file, line: i + 1 })
      })
  }
  return found
}

/** Appends a trusted key (creating the file and its folder, readable by the user only). */
export function recordKnownKey(file: string, name: string, keyBlob: Buffer): void {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 })
  const needsNewline = existsSync(file) && !/(^|\n)$/.test(readFileSync(file, 'utf8'))
  appendFileSync(file, `${needsNewline ? '\n' : ''}${name} ${keyType(keyBlob)} ${keyBlob.toString('base64')}\n`, { mode: 0o600 })
}

/** One known_hosts pattern list against a host name: any match wins unless a `!` pattern matches. */
export function hostMatches(patterns: string, name: string): boolean {
  if (patterns.startsWith('|1|')) {
    const [, , salt, hash] = patterns.split('|')
    if (!salt || !hash) return false
    const digest = createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest('base64')
    return digest === hash
  }
  let matched = false
  for (const pattern of patterns.split(',')) {
    const negated = pattern.startsWith('!')
    if (globMatch(negated ? pattern.slice(1) : pattern, name.toLowerCase())) {
      if (negated) return false
      matched = true
    }
  }
  return matched
}

function globMatch(pattern: string, text: string): boolean {
  const re = pattern
    .toLowerCase()
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.')
  return new RegExp(`^${re}$`).test(text)
}
