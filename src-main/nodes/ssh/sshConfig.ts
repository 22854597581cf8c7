/** `~/.ssh/config` lookups (Host aliases, HostName, User, Port, IdentityFile, ProxyJump) via ssh-config. */
import { existsSync, readFileSync } from 'node:fs'
import { homedir, userInfo } from 'node:os'
import { join } from 'node:path'
import SSHConfig from 'ssh-config'
import { SshError } from './errors'

export interface ResolvedHost {
  /** The address to connect to. */
  hostName: string
  port?: number
  user?: string
  identityFiles: string[]
  /** `[user@]host[:port]` of the first hop, when the config names one. */
  proxyJump?: string
}

/** The default config file, `~/.ssh/config`. */
export const defaultSshConfigFile = (): string => join(homedir(), '.ssh', 'config')

/** Expands a leading `~` (and OpenSSH's `%d`, the home folder) in a path. */
export function expandHome(path: string): string {
  const home = homedir()
  if (path === '~') return home
  if (path.startsWith('~/')) return join(home, path.slice(2))
  return path.replace(/%d/g, home)
}

/** What the config says about `host`; a host it does not mention resolves to itself. */
export function resolveHost(host: string, configFile = defaultSshConfigFile()): ResolvedHost {
  if (!existsSync(configFile)) return { hostName: host, identityFiles: [] }
  let computed: Record<string, string | string[]>
  try {
    computed = SSHConfig.parse(readFileSync(configFile, 'utf8')).compute(host)
  } catch (err) {
    throw new SshError('client-config', `cannot read the SSH config ${configFile}: ${(err as Error).message}; fix or move that file`)
  }
  const one = (key: string): string | undefined => {
    const value = computed[key]
    return Array.isArray(value) ? value[0] : value
  }
  const hostName = (one('HostName') ?? host).replace(/%h/g, host)
  const port = one('Port')
  if (port !== undefined && !/^\d+$/.test(port)) {
    throw new SshError('client-config', `the SSH config ${configFile} gives host ${host} the port '${port}'; it must be a number`)
  }
  const identity = computed.IdentityFile
  const proxyJump = one('ProxyJump')
  return {
    hostName,
    port: port === undefined ? undefined : Number(port),
    user: one('User'),
    identityFiles: (Array.isArray(identity) ? identity : identity ? [identity] : []).map((f) =>
      expandHome(f.replace(/%u/g, userInfo().username).replace(/%h/g, hostName)),
    ),
    proxyJump: proxyJump && proxyJump.toLowerCase() !== 'none' ? proxyJump.split(',')[0].trim() : undefined,
  }
}

/** Splits `[user@]host[:port]` (the ProxyJump and ssh:// forms). */
export function parseHostSpec(spec: string): { user?: string; host: string; port?: number } {
  const m = /^(?:ssh:\/\/)?(?:([^@]+)@)?(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(spec)
  if (!m) throw new SshError('client-config', `cannot read the host '${spec}'; write it as [user@]host[:port]`)
  return { user: m[1], host: m[2].replace(/^\[|\]$/g, ''), port: m[3] ? Number(m[3]) : undefined }
}
