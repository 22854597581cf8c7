/**
 * `connect()`: a Client of a cluster running in another process (the `clusterdesk start` daemon,
 * or a script's own `new Cluster({ …, profile })`), found through its connection file.
 */
import { Client } from '../core/client/Client'
import { ConnectionError } from '../core/client/errors'
import { openRemote } from '../core/remote/openRemote'
import { DEFAULT_PROFILE, isProcessAlive, readConnectionFile, removeConnectionFile, startHint } from './profiles'

export interface ConnectOptions {
  /** The profile whose cluster to join (default 'default'): `<home>/profiles/<profile>/cluster.json`. */
  profile?: string
  /** A connection file by path instead of a profile. */
  file?: string
  /** How long to wait for the controller to answer and prove the key (default 10000 ms). */
  timeoutMs?: number
}

/** Connects to a running cluster; the Client has the same views, results and errors as `cluster.start()`'s. */
export async function connect(options: ConnectOptions = {}): Promise<Client> {
  const info = readConnectionFile(options)
  const profile = options.file ? info.profile : (options.profile ?? DEFAULT_PROFILE)
  const describe = options.file ? `the cluster of ${info.file}` : `profile '${profile}'`
  if (!isProcessAlive(info.pid)) {
    if (!options.file) removeConnectionFile(profile, info.pid)
    throw new ConnectionError(
      `the cluster of ${describe} is gone: its controller (pid ${info.pid}) is not running` +
        `${options.file ? '' : ` (removed the stale ${info.file})`}; ${startHint(profile)}`,
    )
  }
  const link = await openRemote({ address: info.address, key: info.key, describe, hint: startHint(profile), timeoutMs: options.timeoutMs ?? 10000 })
  return new Client(link)
}
