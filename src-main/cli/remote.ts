/**
 * The library's connected-cluster API as the CLI uses it: `connect()`, `ConnectionError`,
 * `listProfiles()`. One place, so the commands depend on the library's profiles module only here.
 */
import { connect, type ConnectOptions } from '../cluster/connect'
import { listProfiles, type ProfileStatus } from '../cluster/profiles'
import { ConnectionError } from '../core/client/errors'

export { connect, ConnectionError, listProfiles, type ConnectOptions, type ProfileStatus }

/** The profile's state from `listProfiles()` (which removes a stale file), or null when no connection file names it. */
export async function profileStatus(profile: string): Promise<ProfileStatus | null> {
  return (await listProfiles()).find((p) => p.profile === profile) ?? null
}
