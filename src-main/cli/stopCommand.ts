/**
 * `clusterdesk stop [--profile P | --all]`: asks each controller to shut down through the client
 * protocol (every node stopped, connection file removed), then waits until the daemon's process
 * is gone. A daemon that does not answer or does not end gets SIGTERM, then SIGKILL to its whole
 * process group (its local agents and engines are in it); its connection file is then removed here.
 * `stop --profile P` of a profile that is not running fails (exit status 1); `stop --all` with
 * nothing running is not an error.
 */
import { readFileSync, rmSync } from 'node:fs'
import { staleNote } from './listCommand'
import { isProcessAlive } from '../cluster/profiles'
import { checkProfileName, fileNames } from './profileFiles'
import { connect, listProfiles, type ProfileStatus } from './remote'

export interface StopCommandOptions {
  profile: string
  all?: boolean
  /** Seconds a controller gets to stop its nodes and exit before it is signalled (default 10); SIGTERM then gets as long, up to 5 s, before SIGKILL. */
  timeout?: number
}

const DEFAULT_TIMEOUT_S = 10

/** `stop --profile P` when no controller runs under P. */
export class ProfileNotRunningError extends Error {
  override name = 'ProfileNotRunningError'
  constructor(profile: string) {
    super(`no cluster is running under profile '${profile}': nothing to stop (\`clusterdesk list\` shows the running ones)`)
  }
}

/** A controller that would not stop. */
export class StopFailedError extends Error {
  override name = 'StopFailedError'
}

const say = (text: string): void => void process.stderr.write(`clusterdesk: ${text}\n`)

export async function stopCommand(options: StopCommandOptions): Promise<void> {
  const profile = options.all ? null : checkProfileName(options.profile)
  const statuses = (await listProfiles()).filter((p) => profile === null || p.profile === profile)
  for (const s of statuses.filter((p) => p.state === 'stale')) say(staleNote(s))
  // A controller that is alive but does not answer is stopped too (by signal, if it is a daemon).
  const running = statuses.filter((p) => p.state === 'running' || (p.pid > 0 && isProcessAlive(p.pid) && fileNames(p.file, p.pid)))
  if (running.length === 0) {
    if (profile !== null) throw new ProfileNotRunningError(profile)
    say('no cluster is running; nothing to stop.')
    return
  }
  const failures: string[] = []
  for (const status of running) {
    try {
      await stopOne(status, (options.timeout ?? DEFAULT_TIMEOUT_S) * 1000)
      process.stdout.write(`clusterdesk: stopped profile '${status.profile}' (controller pid ${status.pid})\n`)
    } catch (err) {
      failures.push((err as Error).message)
    }
  }
  if (failures.length) throw new StopFailedError(failures.join('\n'))
}

async function stopOne({ profile, pid, file }: ProfileStatus, graceMs: number): Promise<void> {
  const daemon = isDaemon(pid)
  const termGraceMs = Math.min(graceMs, 5000)
  try {
    const rc = await connect({ profile, timeoutMs: termGraceMs })
    let timer: NodeJS.Timeout | undefined
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${graceMs / 1000} s`)), graceMs)
    })
    try {
      await Promise.race([rc.shutdown(), timedOut])
    } catch (err) {
      void rc.close().catch(() => undefined)
      throw err
    } finally {
      clearTimeout(timer)
    }
  } catch (err) {
    if (!daemon) throw new StopFailedError(`profile '${profile}': ${(err as Error).message}`)
    say(`profile '${profile}': the controller did not take the shutdown (${(err as Error).message}); signalling pid ${pid}…`)
    signal(pid, 'SIGTERM')
  }
  // A daemon stops by exiting; a script's own published cluster stops and lives on, its file removed.
  const stopped = (): boolean => !isProcessAlive(pid) || (!daemon && !fileNames(file, pid))
  if (await until(stopped, graceMs)) return
  if (!daemon) throw new StopFailedError(`profile '${profile}': its controller (pid ${pid}) did not stop; it is not a clusterdesk daemon, so it was left running`)
  say(`profile '${profile}': the controller (pid ${pid}) is still running; sending SIGTERM…`)
  signal(pid, 'SIGTERM')
  if (!(await until(stopped, termGraceMs))) {
    say(`profile '${profile}': sending SIGKILL to the controller's process group (pid ${pid}) and removing its connection file`)
    signal(-pid, 'SIGKILL')
    if (!(await until(stopped, termGraceMs))) throw new StopFailedError(`profile '${profile}': the controller (pid ${pid}) survived SIGKILL`)
  }
  if (fileNames(file, pid)) rmSync(file, { force: true })
}

/** The process runs `clusterdesk _daemon` (so it may be signalled, with its process group). */
function isDaemon(pid: number): boolean {
  try {
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const pgid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2])
    return argv.includes('_daemon') && pgid === pid
  } catch {
    // No /proc (macOS): trust the connection file's pid, which only `start`'s daemons write as leaders.
    return process.platform !== 'linux'
  }
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig)
  } catch {
    // Gone already.
  }
}

async function until(done: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs
  while (!done()) {
    if (Date.now() > deadline) return false
    await new Promise((r) => setTimeout(r, 50))
  }
  return true
}
