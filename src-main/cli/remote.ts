/**
 * The library's connected-cluster API as the CLI uses it: `connect()`, `ConnectionError`,
 * `listProfiles()`. One place, so the commands depend on the library's profiles module only here.
 */
import { existsSync } from 'node:fs'
import { connect, type ConnectOptions } from '../cluster/connect'
import { listProfiles as listAll, removeConnectionFile, type ProfileStatus } from '../cluster/profiles'
import { ConnectionError } from '../core/client/errors'
import { isRunning } from './profileFiles'

export { connect, ConnectionError, type ConnectOptions, type ProfileStatus }

/**
 * The library's listProfiles, plus: a controller that has exited but not yet been reaped (a
 * zombie, until init collects it) is gone too, so its connection file is removed now.
 */
export async function listProfiles(): Promise<ProfileStatus[]> {
  const profiles = await listAll()
  for (const p of profiles) {
    if (p.state === 'stale' && p.pid > 0 && existsSync(p.file) && !isRunning(p.pid)) removeConnectionFile(p.profile, p.pid)
  }
  return profiles
}

/** The profile's state from `listProfiles()` (which removes a stale file), or null when no connection file names it. */
export async function profileStatus(profile: string): Promise<ProfileStatus | null> {
  return (await listProfiles()).find((p) => p.profile === profile) ?? null
}
