/**
 * The CLI's side of a profile's folder: the controller log `clusterdesk start` writes next to the
 * library's connection file. Profile names become folder names, so they
 * are checked before anything is created.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { profileDir } from '../home'
import { CliUsageError } from './piCommand'

export { DEFAULT_PROFILE } from '../cluster/profiles'

const PROFILE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/

/** The profile name, or a CliUsageError saying what a name may hold. */
export function checkProfileName(profile: string): string {
  if (!PROFILE_NAME.test(profile)) {
    throw new CliUsageError(`option '--profile <name>' is invalid: '${profile}' is not a profile name; use letters, digits, '.', '_' and '-' (up to 64), like lab or gpu-2.`)
  }
  return profile
}

/** `<home>/profiles/<profile>/controller.log`: the daemon's stdout and stderr, appended to at each start. */
export const controllerLog = (profile: string): string => join(profileDir(profile), 'controller.log')


/** The connection file still exists and names `pid`. */
export function fileNames(file: string, pid: number): boolean {
  try {
    return (JSON.parse(readFileSync(file, 'utf8')) as { pid?: unknown }).pid === pid
  } catch {
    return false
  }
}
