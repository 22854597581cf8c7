/**
 * A real OpenSSH sshd for the SSH launcher tests: generated host and user keys under a temp dir,
 * a loopback port (or an address inside a network namespace), stopped in afterAll, always.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export interface Sshd {
  host: string
  port: number
  dir: string
  /** The host key's public blob (what ssh2 hands the host verifier). */
  hostKeyBlob: Buffer
  /** A known_hosts line trusting this server. */
  knownHostsLine: string
  /** A user key that the server accepts. */
  userKey: string
  /** Processes this sshd runs (sessions and what they started, e.g. agents and engines). */
  descendants(): { pid: number; cmdline: string }[]
  /** Lets `publicKeyFile`'s key log in too. */
  authorize(publicKeyFile: string): void
  /** Replaces the host key with a fresh one and restarts (a "reinstalled" host). */
  changeHostKey(): Promise<void>
  stop(): Promise<void>
}

/** Installs openssh-server/-client and iproute2 when missing (tests run as root in CI). */
export function ensureOpenSsh(): void {
  if (existsSync('/usr/sbin/sshd') && existsSync('/usr/bin/ssh-keygen') && existsSync('/usr/sbin/ip')) return
  execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'openssh-server', 'openssh-client', 'iproute2'], {
    stdio: 'inherit',
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  })
}

/** ssh-keygen a key pair; resolves with the private key path (`.pub` next to it). */
export function keygen(path: string, options: { type?: string; passphrase?: string } = {}): string {
  execFileSync('ssh-keygen', ['-q', '-t', options.type ?? 'ed25519', '-N', options.passphrase ?? '', '-C', 'clusterdesk-test', '-f', path])
  return path
}

/** The key blob of an OpenSSH public key file. */
export function publicKeyBlob(pubFile: string): Buffer {
  return Buffer.from(readFileSync(pubFile, 'utf8').trim().split(/\s+/)[1], 'base64')
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    })
  })
}

export async function startSshd(options: { netns?: string; address?: string; port?: number } = {}): Promise<Sshd> {
  ensureOpenSsh()
  mkdirSync('/run/sshd', { recursive: true })
  const dir = mkdtempSync(join(tmpdir(), 'cd-sshd-'))
  const host = options.address ?? '127.0.0.1'
  const port = options.port ?? (await freePort())
  const hostKey = join(dir, 'host_ed25519')
  keygen(hostKey)
  const userKey = keygen(join(dir, 'user_ed25519'))
  writeFileSync(join(dir, 'authorized_keys'), readFileSync(`${userKey}.pub`))
  const config = join(dir, 'sshd_config')
  writeFileSync(
    config,
    [
      `Port ${port}`,
      `ListenAddress ${host}`,
      `HostKey ${hostKey}`,
      `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
      'StrictModes no',
      'UsePAM no',
      `PidFile ${join(dir, 'sshd.pid')}`,
      'PermitRootLogin yes',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'Subsystem sftp internal-sftp',
      'MaxStartups 100',
      'LogLevel ERROR',
      '',
    ].join('\n'),
  )
  let child: ChildProcess | null = null
  const start = async (): Promise<void> => {
    const argv = ['/usr/sbin/sshd', '-D', '-e', '-o', 'LogLevel=INFO', '-f', config]
    child = options.netns ? spawn('ip', ['netns', 'exec', options.netns, ...argv], { stdio: ['ignore', 'ignore', 'pipe'] }) : spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'ignore', 'pipe'] })
    const proc = child
    await new Promise<void>((resolve, reject) => {
      let log = ''
      const timer = setTimeout(() => reject(new Error(`sshd did not start:\n${log}`)), 10000)
      proc.stderr!.on('data', (d: Buffer) => {
        log += d.toString()
        if (/Server listening on/.test(log)) {
          clearTimeout(timer)
          resolve()
        }
      })
      proc.once('exit', (code) => {
        clearTimeout(timer)
        reject(new Error(`sshd exited with ${code}:\n${log}`))
      })
    })
    proc.stderr!.resume()
  }
  const stopChild = async (): Promise<void> => {
    const proc = child
    child = null
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return
    const gone = new Promise((r) => proc.once('exit', r))
    proc.kill('SIGTERM')
    await Promise.race([gone, new Promise((r) => setTimeout(r, 3000))])
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL')
  }
  await start()
  const blob = (): Buffer => publicKeyBlob(`${hostKey}.pub`)
  const sshd: Sshd = {
    host,
    port,
    dir,
    get hostKeyBlob() {
      return blob()
    },
    get knownHostsLine() {
      return `[${host}]:${port} ssh-ed25519 ${blob().toString('base64')}`
    },
    userKey,
    descendants: () => (child?.pid ? descendantsOf(child.pid) : []),
    authorize(pub) {
      writeFileSync(join(dir, 'authorized_keys'), readFileSync(pub), { flag: 'a' })
    },
    async changeHostKey() {
      await stopChild()
      rmSync(hostKey, { force: true })
      rmSync(`${hostKey}.pub`, { force: true })
      keygen(hostKey)
      await start()
    },
    async stop() {
      await stopChild()
      rmSync(dir, { recursive: true, force: true })
    },
  }
  return sshd
}

/** A second "host": a network namespace joined to this one by a veth pair (needs root and `ip netns`). */
/** A real ssh-agent on its own socket; `stop()` kills it and removes its directory. */
export interface SshAgent {
  socket: string
  /** Loads an identity file into the agent (with its passphrase, if it has one). */
  add(keyFile: string, passphrase?: string): void
  stop(): void
}

export function startSshAgent(): SshAgent {
  const dir = mkdtempSync(join(tmpdir(), 'cd-agent-'))
  const socket = join(dir, 'agent.sock')
  const out = execFileSync('ssh-agent', ['-a', socket, '-s'], { encoding: 'utf8' })
  const pid = Number(/SSH_AGENT_PID=(\d+)/.exec(out)?.[1])
  return {
    socket,
    add(keyFile, passphrase = '') {
      // ssh-add reads a passphrase from SSH_ASKPASS when forced to; no terminal involved.
      const askpass = join(dir, 'askpass.sh')
      writeFileSync(askpass, `#!/bin/sh\necho '${passphrase.replace(/'/g, `'\\''`)}'\n`, { mode: 0o700 })
      execFileSync('ssh-add', [keyFile], { env: { ...process.env, SSH_AUTH_SOCK: socket, SSH_ASKPASS: askpass, SSH_ASKPASS_REQUIRE: 'force', DISPLAY: ':0' }, stdio: ['ignore', 'pipe', 'pipe'] })
    },
    stop() {
      if (pid) {
        try {
          process.kill(pid, 'SIGTERM')
        } catch {
          // already gone
        }
      }
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

export interface Netns {
  name: string
  /** This side's address, and the namespace's. */
  hostAddress: string
  address: string
  /** The namespace's end of the link (cut it with `setLink(false)`). */
  setLink(up: boolean): void
  /** Process ids running inside the namespace. */
  pids(): number[]
  remove(): void
}

/** Why namespace tests cannot run here, or null when they can. */
export function netnsUnavailable(): string | null {
  try {
    execFileSync('ip', ['netns', 'add', `cdprobe${process.pid}`], { stdio: 'pipe' })
    execFileSync('ip', ['netns', 'del', `cdprobe${process.pid}`], { stdio: 'pipe' })
    return null
  } catch (err) {
    return `ip netns is unavailable (${String((err as { stderr?: Buffer }).stderr ?? (err as Error).message).trim()}); needs root and iproute2`
  }
}

export function createNetns(index: number): Netns {
  const name = `cd${process.pid}n${index}`
  const outer = `cdh${process.pid % 100000}${index}`
  const inner = `cdn${process.pid % 100000}${index}`
  const subnet = `10.${200 + index}.${process.pid % 250}`
  const ip = (...args: string[]): void => void execFileSync('ip', args, { stdio: 'pipe' })
  const inside = (...args: string[]): void => ip('netns', 'exec', name, 'ip', ...args)
  ip('netns', 'add', name)
  try {
    ip('link', 'add', outer, 'type', 'veth', 'peer', 'name', inner)
    ip('link', 'set', inner, 'netns', name)
    ip('addr', 'add', `${subnet}.1/24`, 'dev', outer)
    ip('link', 'set', outer, 'up')
    inside('addr', 'add', `${subnet}.2/24`, 'dev', inner)
    inside('link', 'set', inner, 'up')
    inside('link', 'set', 'lo', 'up')
  } catch (err) {
    ip('netns', 'del', name)
    throw err
  }
  return {
    name,
    hostAddress: `${subnet}.1`,
    address: `${subnet}.2`,
    setLink: (up) => inside('link', 'set', inner, up ? 'up' : 'down'),
    pids: () =>
      execFileSync('ip', ['netns', 'pids', name], { encoding: 'utf8' })
        .split('\n')
        .filter(Boolean)
        .map(Number),
    remove: () => {
      for (const pid of execFileSync('ip', ['netns', 'pids', name], { encoding: 'utf8' }).split('\n').filter(Boolean)) {
        try {
          process.kill(Number(pid), 'SIGKILL')
        } catch {
          // already gone
        }
      }
      try {
        ip('link', 'del', outer)
      } catch {
        // removed with the namespace
      }
      ip('netns', 'del', name)
    },
  }
}

/** Every process below `root` in the process tree, from /proc. */
export function descendantsOf(root: number): { pid: number; cmdline: string }[] {
  const children = new Map<number, number[]>()
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      // The command name in field 2 may hold spaces and parentheses; the ppid follows the last ')'.
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8')
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)])
    } catch {
      // exited meanwhile
    }
  }
  const found: { pid: number; cmdline: string }[] = []
  const walk = (pid: number): void => {
    for (const kid of children.get(pid) ?? []) {
      try {
        found.push({ pid: kid, cmdline: readFileSync(`/proc/${kid}/cmdline`, 'utf8').replace(/\0/g, ' ') })
      } catch {
        continue
      }
      walk(kid)
    }
  }
  walk(root)
  return found
}
