/**
 * The foreground half of `clusterdesk start`: spawns the controller daemon detached (its own
 * process group and session, so the terminal's Ctrl-C and hang-up never reach it; stdout and
 * stderr appended to the profile's controller.log), hands it its configuration over the IPC pipe,
 * and waits until it reports its engines up — or its error, after which nothing of it is left.
 */
import { spawn } from 'node:child_process'
import { closeSync, mkdirSync, openSync, readFileSync, renameSync, statSync } from 'node:fs'
import { dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { DaemonStartError, fromWire, type DaemonConfig, type DaemonReady, type FromDaemon } from './daemonMessages'
import { controllerLog } from './profileFiles'

/** Above this, the previous log becomes controller.log.1 at the next start. */
const MAX_LOG_BYTES = 4 * 1024 * 1024

/** The daemon is this same CLI bundle (dist/cli.js) running its hidden `_daemon` command. */
const cliEntry = (): string => fileURLToPath(import.meta.url)

/** The last lines of the log, to explain a daemon that ended without saying why. */
function logTail(file: string, from: number, lines = 15): string {
  try {
    return readFileSync(file).subarray(from).toString('utf8').trim().split('\n').slice(-lines).join('\n')
  } catch {
    return ''
  }
}

export interface SpawnedDaemon extends DaemonReady {
  log: string
}

/**
 * Starts the daemon for `config` and resolves once its engines are up; rejects with its error
 * (rebuilt: HostKeyError, SshKeyError, ClusterConfigError, …) once it has exited.
 * `signal` aborts the start: the daemon is told to stop and its engines go with it.
 */
export function spawnDaemon(config: Omit<DaemonConfig, 'type'>, signal?: AbortSignal): Promise<SpawnedDaemon> {
  const log = controllerLog(config.profile)
  mkdirSync(dirname(log), { recursive: true, mode: 0o700 })
  let logStart = 0
  try {
    logStart = statSync(log).size
    // Each start appends; past a few MB the older part moves aside, so the log stays readable.
    if (logStart > MAX_LOG_BYTES) {
      renameSync(log, `${log}.1`)
      logStart = 0
    }
  } catch {
    // A fresh log.
  }
  const fd = openSync(log, 'a', 0o600)
  const child = spawn(process.execPath, [...process.execArgv, cliEntry(), '_daemon'], {
    detached: true,
    stdio: ['ignore', fd, fd, 'ipc'],
    serialization: 'advanced',
    env: process.env,
  })
  closeSync(fd)
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve()
    child.once('exit', () => resolve())
    child.once('error', () => resolve())
  })

  return new Promise<SpawnedDaemon>((resolve, reject) => {
    let settled = false
    let failure: Error | null = null
    const onAbort = (): void => {
      if (child.pid !== undefined) child.kill('SIGTERM')
    }
    signal?.addEventListener('abort', onAbort, { once: true })
    const settle = (fn: () => void): void => {
      if (settled) return
      settled = true
      signal?.removeEventListener('abort', onAbort)
      fn()
    }
    child.once('error', (err) => settle(() => reject(new DaemonStartError(`cannot start the controller daemon: ${err.message}`))))
    child.on('message', (raw) => {
      const message = raw as FromDaemon
      if (message.type === 'ready') {
        settle(() => {
          child.disconnect()
          child.unref()
          resolve({ ...message, log })
        })
      } else if (message.type === 'failed') {
        // Reported once the daemon is gone, so "failed" also means "nothing left running".
        failure = fromWire(message.error)
      }
    })
    child.once('spawn', () => child.send({ type: 'config', ...config } satisfies DaemonConfig))
    void exited.then(() =>
      settle(() => {
        if (failure) return reject(failure)
        const how = child.signalCode ? `was killed by ${child.signalCode}` : `exited with code ${child.exitCode}`
        const tail = logTail(log, logStart)
        reject(new DaemonStartError(`the controller daemon ${how} before its engines were up${tail ? `; its log (${log}) ends:\n${tail}` : ` (see ${log})`}`))
      }),
    )
  })
}
