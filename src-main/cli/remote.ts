/** The library's connected clusters as the CLI uses them: `connect()` and `listProfiles()`. */
import { connect, type ConnectOptions } from '../cluster/connect'
import { listProfiles, type ProfileStatus } from '../cluster/profiles'

export { connect, listProfiles, type ConnectOptions, type ProfileStatus }

/** The profile's state from `listProfiles()` (which removes a stale file), or null when no connection file names it. */
export async function profileStatus(profile: string): Promise<ProfileStatus | null> {
  return (await listProfiles()).find((p) => p.profile === profile) ?? null
}
