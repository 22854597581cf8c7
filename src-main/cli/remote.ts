/**
 * The library's connected clusters as the CLI uses them: `connect()` and `listProfiles()`, with
 * the one thing the CLI adds (an exited but unreaped controller counts as gone).
 */
import { existsSync } from 'node:fs'
import { connect, type ConnectOptions } from '../cluster/connect'
import { listProfiles as listAll, removeConnectionFile, type ProfileStatus } from '../cluster/profiles'
import { isRunning } from './profileFiles'

export { connect, type ConnectOptions, type ProfileStatus }

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
