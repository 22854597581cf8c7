/** What the launcher does on the remote host: exec a command, check Node.js, upload the bundle over SFTP. */
import { randomBytes } from 'node:crypto'
import { posix } from 'node:path'
import type { Client, SFTPWrapper } from 'ssh2'
import { RemoteNodeError, SshError } from './errors'
import { shellCommand } from './shellQuote'

/** The oldest Node.js major the agent bundle runs on. */
export const MIN_NODE_MAJOR = 18

/** Runs a command to completion; resolves with its exit code and output (capped). */
export function execCollect(client: Client, command: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    client.exec(command, (err, channel) => {
      if (err) return reject(new SshError('remote-exec', `cannot run a command on the remote host: ${err.message}`))
      let stdout = ''
      let stderr = ''
      let code: number | null = null
      channel.on('data', (d: Buffer) => (stdout = (stdout + d.toString()).slice(-8192)))
      channel.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-8192)))
      channel.on('exit', (c: number | null) => (code = c))
      channel.on('close', () => resolve({ code, stdout, stderr }))
    })
  })
}

/** Checks that `nodePath` runs on the remote host and is recent enough; resolves with its version. */
export async function checkRemoteNode(client: Client, nodePath: string, where: string): Promise<string> {
  const { code, stdout, stderr } = await execCollect(client, `${shellCommand([nodePath, '--version'])} </dev/null`)
  const how = "set the node's nodePath to a Node.js >= 18 executable (e.g. nodePath: '/usr/local/bin/node', or ?nodePath=… on the command line)"
  const version = /^v(\d+)\.\d+\.\d+/.exec(stdout.trim())
  if (code !== 0 || !version) {
    const why = code === 127 ? 'not found' : code === 126 ? 'not executable' : `exit ${code}: ${(stderr || stdout).trim().slice(0, 200)}`
    throw new RemoteNodeError(`cannot run Node.js '${nodePath}' on ${where} (${why}); ${how}`)
  }
  if (Number(version[1]) < MIN_NODE_MAJOR) {
    throw new RemoteNodeError(`Node.js '${nodePath}' on ${where} is ${version[0]}, too old; ${how}`)
  }
  return stdout.trim()
}

export function openSftp(client: Client): Promise<SFTPWrapper> {
  return new Promise((resolve, reject) =>
    client.sftp((err, sftp) => (err ? reject(new SshError('remote-upload', `cannot open SFTP on the remote host (is its sftp subsystem enabled?): ${err.message}`)) : resolve(sftp))),
  )
}

const call = <T>(fn: (cb: (err: Error | null | undefined, value?: T) => void) => void): Promise<T> =>
  new Promise((resolve, reject) => fn((err, value) => (err ? reject(err) : resolve(value as T))))

/**
 * Makes sure `~/.cache/clusterdesk/<fileName>` holds `content`; resolves with its absolute path and
 * whether it was uploaded. Written under a temporary name and renamed, so a half-written bundle is never run.
 */
export async function ensureUploaded(sftp: SFTPWrapper, fileName: string, content: Buffer, onUpload?: () => void): Promise<{ path: string; uploaded: boolean }> {
  const home = await call<string>((cb) => sftp.realpath('.', cb))
  const dir = posix.join(home, '.cache', 'clusterdesk')
  const target = posix.join(dir, fileName)
  try {
    // The name carries the content hash, but a file of that name may still have been damaged or
    // replaced: reuse it only if its bytes are this bundle's (a read of ~150 kB, cheap next to a start).
    const stats = await call<{ size: number }>((cb) => sftp.stat(target, cb))
    if (stats.size === content.length && (await call<Buffer>((cb) => sftp.readFile(target, cb))).equals(content)) return { path: target, uploaded: false }
  } catch {
    // Absent or unreadable: upload it.
  }
  onUpload?.()
  for (const part of [posix.join(home, '.cache'), dir]) {
    await call<void>((cb) => sftp.mkdir(part, { mode: 0o700 }, (err) => cb(err && (err as { code?: number }).code !== 4 ? err : null))).catch(() => undefined)
  }
  const temp = `${target}.${randomBytes(6).toString('hex')}.tmp`
  try {
    await call<void>((cb) => sftp.writeFile(temp, content, { mode: 0o644 }, (err) => cb(err)))
    await call<void>((cb) => sftp.ext_openssh_rename(temp, target, (err) => cb(err))).catch(() =>
      call<void>((cb) => sftp.rename(temp, target, (err) => cb(err))),
    )
  } catch (err) {
    await call<void>((cb) => sftp.unlink(temp, (e) => cb(e))).catch(() => undefined)
    // Another controller may have put the same bundle there meanwhile.
    const present = await call<{ size: number }>((cb) => sftp.stat(target, cb)).catch(() => null)
    if (present?.size === content.length) return { path: target, uploaded: false }
    throw new SshError('remote-upload', `cannot upload the engine bundle to ${target}: ${(err as Error).message}; check the remote disk space and permissions`)
  }
  return { path: target, uploaded: true }
}
