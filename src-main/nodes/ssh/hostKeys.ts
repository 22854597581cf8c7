/**
 * Host key decisions: which known_hosts files are read and which one a trusted key is recorded
 * in; unknown keys need a decision, changed keys are refused.
 *
 * As OpenSSH's UserKnownHostsFile, a given `knownHostsFile` replaces the user-level stores: it is
 * the only one read and the one a trust is written to. Without it, `~/.ssh/known_hosts` is read
 * and clusterdesk's one trust store (`<home>/known_hosts`, see home.ts) is read and written, the
 * same file for the library, the CLI, `serve` and the app.
 */
import { homedir } from 'node:os'
import { join } from 'node:path'
import { trustStoreFile } from '../../home'
import { HostKeyError } from './errors'
import { expandHome } from './sshConfig'
import { findKnownKeys, fingerprint, keyType, knownHostsName, recordKnownKey } from './knownHosts'

export interface HostKeyPolicy {
  /**
   * The only user-level known_hosts read, and the one an accepted key is recorded in (as
   * OpenSSH's UserKnownHostsFile). Default: `~/.ssh/known_hosts` is read, and clusterdesk's trust
   * store (`$CLUSTERDESK_HOME/known_hosts`, else `~/.local/share/clusterdesk/known_hosts`) is read
   * and written.
   */
  knownHostsFile?: string
  /** 'yes' (default) refuses unknown keys; 'accept-new' trusts and records them. */
  strictHostKeyChecking?: 'yes' | 'accept-new'
}

export const defaultKnownHostsFile = (): string => join(homedir(), '.ssh', 'known_hosts')

/** The files a policy reads, and the one a trusted key is recorded in (read from the environment each call). */
export function hostKeyFiles(policy: Pick<HostKeyPolicy, 'knownHostsFile'>): { read: string[]; trustFile: string } {
  if (policy.knownHostsFile !== undefined) {
    const file = expandHome(policy.knownHostsFile)
    return { read: [file], trustFile: file }
  }
  const store = trustStoreFile()
  return { read: [defaultKnownHostsFile(), store], trustFile: store }
}

/** The known key types for a host, as ssh2 host key algorithm names, so the server offers a key we can check. */
export function knownHostKeyAlgorithms(policy: HostKeyPolicy, host: string, port: number): string[] {
  const types = new Set(findKnownKeys(hostKeyFiles(policy).read, knownHostsName(host, port)).filter((k) => !k.revoked).map((k) => k.type))
  return [...types].flatMap((t) => (t === 'ssh-rsa' ? ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'] : [t]))
}

/** Checks the key a server presented; throws HostKeyError, or returns (recording an accepted new key). */
export function checkHostKey(policy: HostKeyPolicy, host: string, port: number, keyBlob: Buffer): void {
  const name = knownHostsName(host, port)
  const presented = fingerprint(keyBlob)
  const { read, trustFile } = hostKeyFiles(policy)
  const known = findKnownKeys(read, name)
  if (known.some((k) => k.revoked && k.blob.equals(keyBlob))) {
    throw new HostKeyError(`the host key of ${name} (${presented}) is marked @revoked in ${known.find((k) => k.revoked)!.file}; refusing to connect`, name, presented)
  }
  const valid = known.filter((k) => !k.revoked)
  if (valid.some((k) => k.blob.equals(keyBlob))) return
  const type = keyType(keyBlob)
  const sameType = valid.find((k) => k.type === type) ?? valid[0]
  if (sameType) {
    const old = fingerprint(sameType.blob)
    throw new HostKeyError(
      `WARNING: the host key of ${name} has CHANGED: it presented ${type} ${presented}, but ${sameType.file}:${sameType.line} trusts ${sameType.type} ${old}. ` +
        'Someone could be intercepting the connection, or the host was reinstalled. Refusing to connect; if the change is expected, ' +
        `remove the old key (ssh-keygen -R '${name}' -f ${sameType.file}) and trust the new one.`,
      name,
      presented,
      old,
    )
  }
  if ((policy.strictHostKeyChecking ?? 'yes') === 'accept-new') {
    recordKnownKey(trustFile, name, keyBlob)
    return
  }
  // `ssh` once only helps when ~/.ssh/known_hosts is read, i.e. without a knownHostsFile.
  const orSsh = policy.knownHostsFile === undefined ? ', or accept it with `ssh` once' : ''
  throw new HostKeyError(
    `the host key of ${name} is not known: ${type} ${presented}. Check that fingerprint with the host's owner, then trust it ` +
      `(strictHostKeyChecking: 'accept-new' records it in ${trustFile}${orSsh}).`,
    name,
    presented,
    undefined,
    keyBlob,
    trustFile,
  )
}
