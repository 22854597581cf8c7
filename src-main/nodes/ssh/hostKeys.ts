/** Host key decisions: known_hosts plus the app's trust store; unknown keys need a decision, changed keys are refused. */
import { homedir } from 'node:os'
import { join } from 'node:path'
import { HostKeyError } from './errors'
import { expandHome } from './sshConfig'
import { findKnownKeys, fingerprint, keyType, knownHostsName, recordKnownKey } from './knownHosts'

export interface HostKeyPolicy {
  /** The user's known_hosts (default `~/.ssh/known_hosts`). */
  knownHostsFile?: string
  /** The app's own trusted keys, where accepted keys are recorded (default `~/.config/clusterdesk/known_hosts`). */
  trustedHostsFile?: string
  /** 'yes' (default) refuses unknown keys; 'accept-new' trusts and records them. */
  strictHostKeyChecking?: 'yes' | 'accept-new'
}

export const defaultKnownHostsFile = (): string => join(homedir(), '.ssh', 'known_hosts')
export const defaultTrustedHostsFile = (): string =>
  join(process.env.XDG_CONFIG_HOME || join(homedir(), '.config'), 'clusterdesk', 'known_hosts')

/** The known key types for a host, as ssh2 host key algorithm names, so the server offers a key we can check. */
export function knownHostKeyAlgorithms(policy: HostKeyPolicy, host: string, port: number): string[] {
  const types = new Set(findKnownKeys(files(policy), knownHostsName(host, port)).filter((k) => !k.revoked).map((k) => k.type))
  return [...types].flatMap((t) => (t === 'ssh-rsa' ? ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'] : [t]))
}

/** Checks the key a server presented; throws HostKeyError, or returns (recording an accepted new key). */
export function checkHostKey(policy: HostKeyPolicy, host: string, port: number, keyBlob: Buffer): void {
  const name = knownHostsName(host, port)
  const presented = fingerprint(keyBlob)
  const known = findKnownKeys(files(policy), name)
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
    recordKnownKey(expandHome(policy.trustedHostsFile ?? defaultTrustedHostsFile()), name, keyBlob)
    return
  }
  throw new HostKeyError(
    `the host key of ${name} is not known: ${type} ${presented}. Check that fingerprint with the host's owner, then trust it ` +
      "(strictHostKeyChecking: 'accept-new', or add it to known_hosts with `ssh` once).",
    name,
    presented,
    undefined,
    keyBlob,
  )
}

function files(policy: HostKeyPolicy): string[] {
  return [policy.knownHostsFile ?? defaultKnownHostsFile(), policy.trustedHostsFile ?? defaultTrustedHostsFile()].map(expandHome)
}
