/**
 * Opens one authenticated, host-verified ssh2 connection: ~/.ssh/config resolution, one
 * ProxyJump hop (forwardOut + sock), ssh-agent or an identity file, and named errors.
 */
import { existsSync, readFileSync } from 'node:fs'
import { homedir, userInfo } from 'node:os'
import { join } from 'node:path'
import type { Duplex } from 'node:stream'
// ssh2 is CommonJS: Node's ESM loader sees only its default export.
import ssh2, { type Client, type ConnectConfig } from 'ssh2'
import { HostKeyError, SshError, SshKeyError, type SshErrorLevel } from './errors'
import { checkHostKey, type HostKeyPolicy, knownHostKeyAlgorithms } from './hostKeys'
import { expandHome, parseHostSpec, resolveHost } from './sshConfig'

export interface SshTarget extends HostKeyPolicy {
  /** Host name, address, or a `~/.ssh/config` alias. */
  host: string
  /** Default: the config's Port, else 22. */
  port?: number
  /** Default: the config's User, else the local user name. */
  user?: string
  /** Private key file (default: the config's IdentityFile, else ~/.ssh/id_ed25519, id_ecdsa, id_rsa). */
  identityFile?: string
  /** Passphrase of an encrypted identity file. */
  passphrase?: string
  /** ssh-agent socket (default $SSH_AUTH_SOCK). */
  agent?: string
  /** SSH client config to honour (default ~/.ssh/config). */
  sshConfigFile?: string
  /** Give up on a connection that is not ready after this long (default 20000 ms). */
  readyTimeoutMs?: number
  /** ssh2 keepalive period; the connection is dropped after 3 unanswered (default 5000 ms). */
  keepaliveIntervalMs?: number
}

/** Where a connection went, after the config was applied. */
export interface SshEndpoint {
  host: string
  port: number
  user: string
}

export interface SshConnection {
  client: Client
  endpoint: SshEndpoint
  /** The first hop's connection, when a ProxyJump was used. */
  jump?: Client
  /** The host key the target presented (and that was found trusted). */
  hostKey: Buffer
  /** Closes the connection (and the hop's). */
  end(): void
}

const SUPPORTED_HOST_KEYS = ['ssh-ed25519', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521', 'rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa']

/** Resolves `target` against the SSH config: the address, port and user actually used. */
export function resolveEndpoint(target: SshTarget): SshEndpoint & { identityFiles: string[]; proxyJump?: string } {
  const resolved = resolveHost(target.host, target.sshConfigFile)
  return {
    host: resolved.hostName,
    port: target.port ?? resolved.port ?? 22,
    user: target.user ?? resolved.user ?? userInfo().username,
    identityFiles: target.identityFile ? [expandHome(target.identityFile)] : resolved.identityFiles,
    proxyJump: resolved.proxyJump,
  }
}

/** Connects, verifies the host key and authenticates; rejects with an SshError naming the cause. */
export async function connectSsh(target: SshTarget): Promise<SshConnection> {
  const endpoint = resolveEndpoint(target)
  let jump: SshConnection | undefined
  let sock: Duplex | undefined
  if (endpoint.proxyJump) {
    const hop = parseHostSpec(endpoint.proxyJump)
    // The hop has its own config entry, key and host key; the target's options do not apply to it.
    jump = await connectSsh({ ...target, host: hop.host, port: hop.port, user: hop.user, identityFile: undefined, passphrase: undefined })
    sock = await new Promise<Duplex>((resolve, reject) =>
      jump!.client.forwardOut('127.0.0.1', 0, endpoint.host, endpoint.port, (err, stream) =>
        err
          ? reject(new SshError('client-socket', `the jump host ${jump!.endpoint.host} cannot reach ${endpoint.host}:${endpoint.port}: ${err.message}`))
          : resolve(stream),
      ),
    ).catch((err) => {
      jump!.end()
      throw err
    })
  }
  try {
    const { client, hostKey } = await open(target, endpoint, sock)
    return {
      client,
      hostKey,
      endpoint: { host: endpoint.host, port: endpoint.port, user: endpoint.user },
      jump: jump?.client,
      end: () => {
        client.end()
        jump?.end()
      },
    }
  } catch (err) {
    jump?.end()
    throw err
  }
}

function open(target: SshTarget, endpoint: ReturnType<typeof resolveEndpoint>, sock?: Duplex): Promise<{ client: Client; hostKey: Buffer }> {
  const where = `${endpoint.user}@${endpoint.host}:${endpoint.port}`
  const { key, locked } = loadKey(endpoint.identityFiles, target.passphrase, target.identityFile !== undefined)
  const agent = target.agent ?? process.env.SSH_AUTH_SOCK
  if (!key && !agent) {
    // An encrypted key without its passphrase is the one to unlock: say so (the CLI and GUI ask).
    if (locked) throw locked
    const looked = endpoint.identityFiles.length ? endpoint.identityFiles.join(', ') : '~/.ssh/id_ed25519, id_ecdsa, id_rsa'
    throw new SshError(
      'client-authentication',
      `no way to log in to ${where}: no private key found (looked for ${looked}) and no ssh-agent ` +
        `(SSH_AUTH_SOCK is not set for clusterdesk); give an identity file, or the ssh-agent socket, or start clusterdesk from a shell where ssh-agent runs`,
    )
  }
  const known = knownHostKeyAlgorithms(target, endpoint.host, endpoint.port).filter((a) => SUPPORTED_HOST_KEYS.includes(a))
  let hostKeyError: HostKeyError | null = null
  let hostKey: Buffer | null = null
  const config: ConnectConfig = {
    host: endpoint.host,
    port: endpoint.port,
    username: endpoint.user,
    sock: sock as ConnectConfig['sock'],
    agent,
    privateKey: key ?? undefined,
    passphrase: key ? target.passphrase : undefined,
    readyTimeout: target.readyTimeoutMs ?? 20000,
    keepaliveInterval: target.keepaliveIntervalMs ?? 5000,
    keepaliveCountMax: 3,
    // Ask first for a key type we already trust, as OpenSSH does, so a trusted host is not "unknown".
    algorithms: known.length ? { serverHostKey: { remove: known, prepend: known } as never } : undefined,
    hostVerifier: (blob: Buffer) => {
      try {
        checkHostKey(target, endpoint.host, endpoint.port, blob)
        hostKey = blob
        return true
      } catch (err) {
        hostKeyError = err as HostKeyError
        return false
      }
    },
  }
  return new Promise<{ client: Client; hostKey: Buffer }>((resolve, reject) => {
    const client = new ssh2.Client()
    let settled = false
    client.once('ready', () => {
      settled = true
      client.removeAllListeners('error')
      // Later errors (keepalive timeouts, resets) end the connection; its channels then close.
      client.on('error', () => undefined)
      // Ready means the host verifier accepted a key.
      resolve({ client, hostKey: hostKey! })
    })
    client.on('error', (err: Error & { level?: string; code?: string }) => {
      if (settled) return
      settled = true
      client.end()
      // The agent was tried in place of an encrypted key and did not hold it: ask for the passphrase.
      if (!hostKeyError && locked && !key && err.level === 'client-authentication') {
        reject(new SshKeyError(`${locked.message} (the ssh-agent at ${agent} does not hold it)`, locked.file, locked.problem))
        return
      }
      reject(hostKeyError ?? describe(err, where, key !== null, agent))
    })
    client.once('close', () => {
      if (settled) return
      settled = true
      reject(hostKeyError ?? new SshError('protocol', `the connection to ${where} closed before it was ready; is it an SSH server?`))
    })
    try {
      client.connect(config)
    } catch (err) {
      settled = true
      reject(new SshError('client-config', `cannot connect to ${where}: ${(err as Error).message}`))
    }
  })
}

function describe(err: Error & { level?: string; code?: string }, where: string, hadKey: boolean, agent?: string): SshError {
  const level = (err.level ?? 'protocol') as SshErrorLevel
  if (level === 'client-authentication') {
    const tried = [hadKey ? 'the identity file' : '', agent ? `the ssh-agent at ${agent}` : ''].filter(Boolean).join(' and ')
    return new SshError(level, `${where} refused ${tried || 'every key'} (${err.message}); check the user name and that the public key is in the remote ~/.ssh/authorized_keys`, { cause: err })
  }
  if (level === 'client-timeout' || /timed out/i.test(err.message)) {
    return new SshError('client-timeout', `no SSH answer from ${where} in time (${err.message}); check the address, the network and any firewall`, { cause: err })
  }
  if (err.code === 'ECONNREFUSED') return new SshError('client-socket', `${where} refused the connection: nothing listens on that port; check the port and that sshd runs`, { cause: err })
  if (err.code === 'ENOTFOUND' || err.code === 'EAI_AGAIN') return new SshError('client-socket', `cannot resolve the host name of ${where}; check the host (or its ~/.ssh/config alias)`, { cause: err })
  if (err.code === 'EHOSTUNREACH' || err.code === 'ENETUNREACH' || err.code === 'ETIMEDOUT') {
    return new SshError('client-timeout', `cannot reach ${where} (${err.code}); check the address and the network`, { cause: err })
  }
  return new SshError(level, `SSH connection to ${where} failed: ${err.message}`, { cause: err })
}

/**
 * Reads and decrypts the first usable private key; a named SshKeyError when it cannot be used.
 * An encrypted key without a passphrase is passed over (an ssh-agent may hold it) and returned as
 * `locked`, so that the caller can say which key wants its passphrase if nothing else logs in.
 */
function loadKey(files: string[], passphrase: string | undefined, explicit: boolean): { key: Buffer | null; locked: SshKeyError | null } {
  const candidates = files.length ? files : ['id_ed25519', 'id_ecdsa', 'id_rsa'].map((f) => join(homedir(), '.ssh', f))
  let locked: SshKeyError | null = null
  for (const file of candidates) {
    if (!existsSync(file)) {
      if (explicit) throw new SshKeyError(`the identity file ${file} does not exist; set identityFile to your private key`, file, 'missing')
      continue
    }
    let data: Buffer
    try {
      data = readFileSync(file)
    } catch (err) {
      throw new SshKeyError(`cannot read the identity file ${file}: ${(err as Error).message}`, file, 'unreadable')
    }
    const parsed = ssh2.utils.parseKey(data, passphrase)
    if (!(parsed instanceof Error)) return { key: data, locked: null }
    const encrypted = /encrypted|passphrase|decrypt|bad decrypt/i.test(parsed.message)
    if (encrypted && passphrase === undefined) {
      locked ??= new SshKeyError(
        `the identity file ${file} is encrypted; give its passphrase (passphrase option, or the prompt), or load it into ssh-agent (ssh-add ${file})`,
        file,
        'needs-passphrase',
      )
      continue
    }
    if (encrypted) throw new SshKeyError(`wrong passphrase for the identity file ${file}; check it and try again`, file, 'wrong-passphrase')
    throw new SshKeyError(`the identity file ${file} is not a private key ssh2 can use (${parsed.message})`, file, 'invalid')
  }
  return { key: null, locked }
}
