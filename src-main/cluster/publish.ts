/**
 * Publishing a controller under a profile: the client-protocol server plus its connection file,
 * for as long as the Cluster runs (and removed at stop or when the process exits).
 */
import { mkdirSync, mkdtempSync, rmSync, unlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ConnectionError } from '../core/client/errors'
import type { Controller } from '../core/controller/Controller'
import { newKey } from '../core/remote/auth'
import { ProtocolServer, type ListenAddress } from '../core/remote/ProtocolServer'
import { openRemote } from '../core/remote/openRemote'
import { profileDir } from '../home'
import { ClusterConfigError } from './options'
import { checkProfileName, isProcessAlive, readConnectionFile, removeConnectionFile, startHint, writeConnectionFile } from './profiles'

/** Unix socket paths longer than this do not fit `sockaddr_un` on every platform. */
const MAX_SOCKET_PATH = 100

export interface PublishOptions {
  profile: string
  /** 'HOST:PORT' for TCP (or ':PORT' / 'PORT' for loopback); default a Unix socket. */
  listen?: string
  /** Keep the process alive while published (a daemon); default false (a script's own cluster). */
  keepAlive?: boolean
}

export interface Publication {
  readonly file: string
  readonly address: ListenAddress
  readonly server: ProtocolServer
  /** Stops listening, ends every client connection, removes the connection file. */
  close(): Promise<void>
}

/** Parses `--listen HOST:PORT`; a bare port means loopback. */
export function parseListen(listen: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):?(\d+)$/.exec(listen.trim())
  const port = m ? Number(m[3]) : NaN
  if (!m || !(port >= 0 && port < 65536)) {
    throw new ClusterConfigError(`listen must be HOST:PORT (e.g. 127.0.0.1:7777; a bare port listens on loopback), got ${JSON.stringify(listen)}`)
  }
  return { host: m[1] ?? (m[2] || '127.0.0.1'), port }
}

/** Refuses a profile whose controller is alive and answering; clears a stale one. */
async function claimProfile(profile: string): Promise<void> {
  let info
  try {
    info = readConnectionFile({ profile })
  } catch {
    return
  }
  if (isProcessAlive(info.pid)) {
    const answering = await openRemote({ address: info.address, key: info.key, describe: `profile '${profile}'`, hint: startHint(profile), timeoutMs: 3000, probe: true })
      .then((link) => link.close().then(() => true))
      .catch(() => false)
    if (answering) {
      throw new ClusterConfigError(
        `a cluster is already running under profile '${profile}' (controller pid ${info.pid}): connect to it with connect({ profile: '${profile}' }), ` +
          `add nodes with \`clusterdesk start --profile ${profile} --node …\`, or stop it with \`clusterdesk stop --profile ${profile}\``,
      )
    }
  }
  removeConnectionFile(profile, info.pid)
}

function socketAddress(profile: string): { path: string; cleanup(): void } {
  const dir = join(profileDir(profile), 'run')
  const path = join(dir, 'controller.sock')
  if (path.length <= MAX_SOCKET_PATH) {
    mkdirSync(dir, { recursive: true, mode: 0o700 })
    try {
      unlinkSync(path)
    } catch {
      // No socket left over from a dead controller.
    }
    return { path, cleanup: () => undefined }
  }
  // A deep home: the socket goes to a private (0700) directory of its own instead.
  const own = mkdtempSync(join(tmpdir(), 'clusterdesk-'))
  return { path: join(own, 'controller.sock'), cleanup: () => rmSync(own, { recursive: true, force: true }) }
}

export async function publishController(controller: Controller, options: PublishOptions): Promise<Publication> {
  const profile = checkProfileName(options.profile)
  const tcp = options.listen !== undefined ? parseListen(options.listen) : null
  await claimProfile(profile)
  const key = newKey()
  const server = new ProtocolServer(controller, key)
  const socket = tcp ? null : socketAddress(profile)
  let address: ListenAddress
  try {
    address = await server.listen(tcp ?? { path: socket!.path })
  } catch (err) {
    socket?.cleanup()
    throw new ConnectionError(`cannot listen on ${options.listen ?? socket!.path} for profile '${profile}': ${(err as Error).message}`)
  }
  server.setKeepAlive(options.keepAlive ?? false)
  const file = writeConnectionFile({ profile, pid: process.pid, address, key, startedAt: Date.now() })
  const onExit = (): void => removeConnectionFile(profile)
  process.on('exit', onExit)
  let closed = false
  return {
    file,
    address,
    server,
    async close() {
      if (closed) return
      closed = true
      process.off('exit', onExit)
      removeConnectionFile(profile)
      await server.close()
      socket?.cleanup()
    },
  }
}
