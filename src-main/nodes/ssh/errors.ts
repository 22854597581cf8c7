/**
 * Named errors of the SSH launcher. Like ssh2's, each carries a `level` saying where it came from,
 * and its message says what to do next.
 */
export type SshErrorLevel =
  | 'client-socket'
  | 'client-timeout'
  | 'client-authentication'
  | 'client-key'
  | 'client-config'
  | 'host-key'
  | 'protocol'
  | 'remote-node'
  | 'remote-upload'
  | 'remote-exec'

export class SshError extends Error {
  override name = 'SshError'
  constructor(
    readonly level: SshErrorLevel,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options)
  }
}

/** The host's key is unknown (and not accepted) or has changed since it was trusted. */
export class HostKeyError extends SshError {
  override name = 'HostKeyError'
  constructor(
    message: string,
    /** `host` or `[host]:port`, as known_hosts names it. */
    readonly host: string,
    /** The key the server presented, `SHA256:…` as OpenSSH prints it. */
    readonly fingerprint: string,
    /** The trusted key that no longer matches (only for a changed key). */
    readonly knownFingerprint?: string,
    /** The presented key's blob, only for a key that is merely unknown (not changed, not revoked): what a user may choose to trust. */
    readonly keyBlob?: Buffer,
    /**
     * Where trusting that unknown key records it: the node's `knownHostsFile` when one was given,
     * else clusterdesk's trust store (so a CLI or GUI "trust" writes where the launcher reads).
     */
    readonly trustFile?: string,
  ) {
    super('host-key', message)
  }

  /** True when a different key was trusted for this host: never accepted automatically. */
  get changed(): boolean {
    return this.knownFingerprint !== undefined
  }
}

/** Why an identity file cannot be used. */
export type SshKeyProblem = 'missing' | 'unreadable' | 'needs-passphrase' | 'wrong-passphrase' | 'invalid'

/** The identity file cannot be used: missing, unreadable, or its passphrase is missing or wrong. */
export class SshKeyError extends SshError {
  override name = 'SshKeyError'
  constructor(
    message: string,
    /** The identity file concerned, and what is wrong with it (so a caller can ask for a passphrase). */
    readonly file?: string,
    readonly problem?: SshKeyProblem,
  ) {
    super('client-key', message)
  }
}

/** The remote Node.js is missing, too old, or cannot run the agent. */
export class RemoteNodeError extends SshError {
  override name = 'RemoteNodeError'
  constructor(message: string) {
    super('remote-node', message)
  }
}
