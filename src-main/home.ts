/**
 * clusterdesk's home directory: `$CLUSTERDESK_HOME`, else `~/.local/share/clusterdesk` (XDG's
 * data home when set). Profiles (connection files of running clusters), the one trust store of
 * SSH host keys, and the data of `serve` and the CLI all live under it, so the library, the CLI,
 * `serve` and the app agree on them. Tests set CLUSTERDESK_HOME to a fresh temporary directory.
 */
import { homedir } from 'node:os'
import { isAbsolute, join, resolve } from 'node:path'

/** The home directory, read from the environment each call (tests change it between cases). */
export function clusterdeskHome(env: NodeJS.ProcessEnv = process.env, home = homedir()): string {
  const explicit = env.CLUSTERDESK_HOME
  if (explicit) return resolve(explicit)
  // XDG: a relative XDG_DATA_HOME is invalid and must be ignored.
  const xdg = env.XDG_DATA_HOME
  return join(xdg && isAbsolute(xdg) ? xdg : join(home, '.local', 'share'), 'clusterdesk')
}

/** The one store of SSH host keys trusted through clusterdesk (OpenSSH known_hosts format). */
export const trustStoreFile = (env: NodeJS.ProcessEnv = process.env): string => join(clusterdeskHome(env), 'known_hosts')

/** Where `serve` and the CLI keep their SQLite database unless `--data-dir` is given. */
export const defaultDataDir = (env: NodeJS.ProcessEnv = process.env): string => join(clusterdeskHome(env), 'data')

/** The folder of one profile: its connection file `cluster.json` and its socket directory. */
export const profileDir = (profile: string, env: NodeJS.ProcessEnv = process.env): string =>
  join(clusterdeskHome(env), 'profiles', profile)
