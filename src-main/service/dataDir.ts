/**
 * Where clusterdesk keeps its database when no data directory is given (`clusterdesk serve`,
 * the CLI): the platform's per-user application data folder. The Electron app uses its own
 * `userData` folder instead.
 */
import { homedir } from 'node:os'
import { join } from 'node:path'

export function defaultDataDir(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform, home = homedir()): string {
  if (platform === 'darwin') return join(home, 'Library', 'Application Support', 'clusterdesk')
  if (platform === 'win32') return join(env.APPDATA || join(home, 'AppData', 'Roaming'), 'clusterdesk')
  // XDG: a relative XDG_DATA_HOME is invalid and must be ignored.
  const xdg = env.XDG_DATA_HOME
  return join(xdg && xdg.startsWith('/') ? xdg : join(home, '.local', 'share'), 'clusterdesk')
}
