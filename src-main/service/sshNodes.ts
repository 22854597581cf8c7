/**
 * The service's side of SSH nodes: a node record's SSH settings as a launcher target, "Test
 * connection" (host key, remote Node.js version and cores, without starting engines), and
 * trusting an unknown host key once the user has checked its fingerprint.
 */
import ssh2 from 'ssh2'
import type { SshNodeSpec } from '../cluster/options'
import { connectSsh, resolveEndpoint, type SshTarget } from '../nodes/ssh/connect'
import { HostKeyError, SshError } from '../nodes/ssh/errors'
import { checkHostKey, hostKeyFiles, knownHostKeyAlgorithms } from '../nodes/ssh/hostKeys'
import { fingerprint as fingerprintOf, knownHostsName, recordKnownKey } from '../nodes/ssh/knownHosts'
import { checkRemoteNode, execCollect } from '../nodes/ssh/remote'
import { shellCommand } from '../nodes/ssh/shellQuote'
import type { NodeInput, NodeTestResult } from './api'

/** True for a host key that is merely unknown (not changed, not revoked): the user may trust it. */
export const isUnknownHostKey = (err: HostKeyError): boolean => !err.changed && !err.message.includes('@revoked')

/** Where the service checks and records host keys. */
export interface HostKeyFiles {
  /**
   * The only known_hosts read and the one a trusted key is recorded in, for every SSH node of the
   * service (default: ~/.ssh/known_hosts is read, and clusterdesk's trust store is read and written).
   */
  knownHostsFile?: string
}

/** The cluster's spec of an SSH node's settings; empty fields mean "the default". */
export function sshSpecOf(input: NodeInput, files: HostKeyFiles, passphrase?: string): SshNodeSpec {
  const ssh = input.ssh
  if (input.kind !== 'ssh' || !ssh) throw new Error(`the node '${input.name}' is not an SSH node`)
  return {
    kind: 'ssh',
    host: ssh.host,
    port: ssh.port,
    user: ssh.user || undefined,
    identityFile: (!ssh.useAgent && ssh.identityFile) || undefined,
    // Without "use ssh-agent", an empty socket keeps $SSH_AUTH_SOCK out of it.
    agent: ssh.useAgent ? undefined : '',
    passphrase: passphrase || undefined,
    nodePath: input.nodePath || undefined,
    engines: input.engines ?? undefined,
    cwd: input.cwd || undefined,
    knownHostsFile: files.knownHostsFile,
    strictHostKeyChecking: 'yes',
  }
}

function targetOf(input: NodeInput, files: HostKeyFiles, passphrase?: string): SshTarget {
  return { ...sshSpecOf(input, files, passphrase), readyTimeoutMs: 15000 }
}

/**
 * The host key a server presents, without logging in (the key exchange comes before
 * authentication). Direct connections only: null through a ProxyJump.
 */
export async function probeHostKey(target: SshTarget): Promise<Buffer | null> {
  const endpoint = resolveEndpoint(target)
  if (endpoint.proxyJump) return null
  const known = knownHostKeyAlgorithms(target, endpoint.host, endpoint.port)
  return new Promise<Buffer | null>((resolve, reject) => {
    const client = new ssh2.Client()
    let blob: Buffer | null = null
    let done = false
    const finish = (err?: Error): void => {
      if (done) return
      done = true
      client.end()
      if (blob) resolve(blob)
      else if (err) reject(new SshError('client-socket', `cannot reach ${endpoint.host}:${endpoint.port}: ${err.message}`))
      else resolve(null)
    }
    client.on('error', (err) => finish(err))
    client.on('close', () => finish())
    client.connect({
      host: endpoint.host,
      port: endpoint.port,
      username: endpoint.user,
      readyTimeout: target.readyTimeoutMs ?? 15000,
      algorithms: known.length ? { serverHostKey: { remove: known, prepend: known } as never } : undefined,
      hostVerifier: (key: Buffer) => {
        blob = key
        return false
      },
    })
  })
}

const PROBE = 'const os=require("node:os");JSON.stringify({host:os.hostname(),cores:os.availableParallelism?os.availableParallelism():os.cpus().length})'

/** Connects to an SSH node and reports its host key, Node.js version and cores; starts nothing. */
export async function testSshNode(input: NodeInput, files: HostKeyFiles, passphrase?: string): Promise<NodeTestResult> {
  const target = targetOf(input, files, passphrase)
  let connection
  try {
    connection = await connectSsh(target)
  } catch (err) {
    if (err instanceof HostKeyError) {
      return { ok: false, message: err.message, fingerprint: err.fingerprint, needsTrust: isUnknownHostKey(err), level: err.level, host: input.ssh?.host }
    }
    return { ok: false, message: (err as Error).message, level: err instanceof SshError ? err.level : undefined, host: input.ssh?.host }
  }
  try {
    const where = `${connection.endpoint.user}@${connection.endpoint.host}:${connection.endpoint.port}`
    const nodePath = input.nodePath || 'node'
    const fingerprint = fingerprintOf(connection.hostKey)
    let nodeVersion: string
    try {
      nodeVersion = await checkRemoteNode(connection.client, nodePath, where)
    } catch (err) {
      return { ok: false, message: (err as Error).message, level: err instanceof SshError ? err.level : undefined, fingerprint, host: connection.endpoint.host }
    }
    if (input.cwd) {
      const dir = await execCollect(connection.client, `test -d ${shellCommand([input.cwd])}`)
      if (dir.code !== 0) return { ok: false, message: `the working directory ${input.cwd} does not exist on ${where} (or is not a directory)`, nodeVersion, fingerprint, host: connection.endpoint.host }
    }
    const { code, stdout } = await execCollect(connection.client, `${shellCommand([nodePath, '-p', PROBE])} </dev/null`)
    let facts: { host?: string; cores?: number } = {}
    try {
      if (code === 0) facts = JSON.parse(stdout.trim()) as typeof facts
    } catch {
      // The version check passed; the core count is a nicety.
    }
    const cores = facts.cores
    const host = facts.host ?? connection.endpoint.host
    return {
      ok: true,
      // Version and cores are fields of their own (the GUI shows them next to this).
      message: `${where} is ready to run engines (host ${host})`,
      host,
      cores,
      nodeVersion,
      fingerprint,
    }
  } finally {
    connection.end()
  }
}

/**
 * Records the host key of `input`'s host where the launcher reads it (the trust store, or the
 * given knownHostsFile), if the host still presents the key with `fingerprint`. Throws when it
 * presents another key, or a different key is already trusted.
 */
export async function trustHostKey(input: NodeInput, fingerprint: string, files: HostKeyFiles): Promise<void> {
  const target = targetOf(input, files)
  const { host, port, proxyJump } = resolveEndpoint(target)
  const name = knownHostsName(host, port)
  const blob = await probeHostKey(target)
  if (!blob) {
    // With a knownHostsFile, only that file is read: ssh must record the key there.
    const option = files.knownHostsFile ? `-o UserKnownHostsFile=${hostKeyFiles(files).trustFile} ` : ''
    throw new SshError('host-key', `cannot read the host key of ${name}${proxyJump ? ` through the jump host ${proxyJump}` : ''}; trust it with \`ssh ${option}-p ${port} ${host}\` once`)
  }
  const presented = fingerprintOf(blob)
  if (presented !== fingerprint) {
    throw new HostKeyError(
      `${name} now presents the host key ${presented}, not ${fingerprint} that was shown; nothing was trusted. Test the connection again and check the new fingerprint.`,
      name,
      presented,
    )
  }
  try {
    checkHostKey(target, host, port, blob)
    return // already trusted
  } catch (err) {
    if (!(err instanceof HostKeyError) || !isUnknownHostKey(err)) throw err
  }
  recordKnownKey(hostKeyFiles(target).trustFile, name, blob)
}
