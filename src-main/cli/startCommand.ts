/**
 * `clusterdesk start`: a cluster that outlives the command (`ipcluster start`). Starts the
 * controller daemon with its engines, returns once they are up and says how to connect; on a
 * profile that is already running, adds the `--node`s to it, or refuses without them.
 * SSH questions (an unknown host key, a passphrase) are asked here in the foreground, before the
 * daemon is started again with the answer: the daemon itself never has a terminal.
 */
import { ClusterConfigError, validateOptions, type NodeSpec } from '../cluster/options'
import { spawnDaemon, type SpawnedDaemon } from './daemon'
import { staleNote } from './listCommand'
import { nodesFromOptions, type NodeOptions } from './nodeOption'
import { CliUsageError, InterruptedError } from './piCommand'
import { isProcessAlive } from '../cluster/profiles'
import { checkProfileName, fileNames } from './profileFiles'
import { connect, profileStatus } from './remote'
import { createSshRetry, PromptInterrupted } from './sshPrompts'

export interface StartCommandOptions extends NodeOptions {
  profile: string
  /** `HOST:PORT`: the controller listens on TCP instead of a Unix socket. */
  listen?: string
  json?: boolean
}

/** `start` of a profile whose controller is running, without nodes to add to it. */
export class ProfileRunningError extends Error {
  override name = 'ProfileRunningError'
  constructor(profile: string, pid: number | null, how?: string) {
    super(
      how
        ? `profile '${profile}' is already running${pid ? ` (pid ${pid})` : ''} ${how}: stop it with \`clusterdesk stop --profile ${profile}\``
        : `profile '${profile}' is already running${pid ? ` (pid ${pid})` : ''}: stop it with \`clusterdesk stop --profile ${profile}\`, ` +
            `or add nodes with \`clusterdesk start --profile ${profile} --node local:2\``,
    )
  }
}

const say = (text: string): void => void process.stderr.write(`clusterdesk: ${text}\n`)

export async function startCommand(options: StartCommandOptions): Promise<void> {
  const profile = checkProfileName(options.profile)
  let nodes = nodesFromOptions(options)
  try {
    validateOptions({ nodes })
  } catch (err) {
    throw err instanceof ClusterConfigError ? new CliUsageError(err.message) : err
  }

  const status = await profileStatus(profile)
  if (status?.state === 'stale') say(staleNote(status))
  // A controller that is alive but does not answer would be left running, unseen, by a new one.
  const stuck = status?.state === 'stale' && status.pid > 0 && isProcessAlive(status.pid) && fileNames(status.file, status.pid)
  if (stuck) throw new ProfileRunningError(profile, status.pid, 'but does not answer')
  if (status?.state === 'running') {
    if (!options.node?.length) throw new ProfileRunningError(profile, status.pid)
    return addToRunning(profile, nodes, options.json === true)
  }

  const abort = new AbortController()
  const onSignal = (): void => {
    say('interrupted, stopping the controller…')
    abort.abort()
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
  let daemon: SpawnedDaemon
  try {
    if (process.stderr.isTTY) say(`starting profile '${profile}'…`)
    const retry = createSshRetry()
    for (;;) {
      try {
        daemon = await spawnDaemon({ profile, nodes, ...(options.listen ? { listen: options.listen } : {}) }, abort.signal)
        break
      } catch (err) {
        if (abort.signal.aborted) throw new InterruptedError()
        nodes = await retry(err, nodes)
      }
    }
  } catch (err) {
    throw err instanceof PromptInterrupted || abort.signal.aborted ? new InterruptedError() : err
  } finally {
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
  }

  if (options.json) {
    const { pid, file, log, engines } = daemon
    process.stdout.write(`${JSON.stringify({ profile, pid, file, log, engines }, null, 2)}\n`)
    return
  }
  const n = daemon.engines.length
  process.stdout.write(
    [
      `clusterdesk: profile '${profile}' is running with ${n} engine${n === 1 ? '' : 's'}`,
      `  controller pid:  ${daemon.pid}`,
      `  connection file: ${daemon.file ?? '(none published)'}`,
      `  log:             ${daemon.log}`,
      `  connect:         import { connect } from 'clusterdesk'; const rc = await connect({ profile: '${profile}' })`,
      `  stop:            clusterdesk stop --profile ${profile}`,
      '',
    ].join('\n'),
  )
}

/** `start --profile P --node …` on a running profile: its controller starts the nodes. */
async function addToRunning(profile: string, nodes: NodeSpec[], json: boolean): Promise<void> {
  const rc = await connect({ profile })
  try {
    const before = new Set(rc.engines.map((e) => e.id))
    try {
      await rc.addNodes(nodes)
    } catch (err) {
      // The running controller launches the nodes, far from this terminal: nothing can be asked.
      if ((err as Error).name === 'HostKeyError' && !/changed/i.test((err as Error).message)) {
        ;(err as Error).message += `\nThe controller cannot ask about it: check the fingerprint, then run again with --accept-new-host-keys.`
      } else if ((err as Error).name === 'SshKeyError') {
        ;(err as Error).message += `\nThe controller cannot ask for a passphrase: load the key into ssh-agent (ssh-add) and run again.`
      }
      throw err
    }
    const added = rc.engines.filter((e) => !before.has(e.id))
    if (json) {
      process.stdout.write(`${JSON.stringify({ profile, added: added.map(({ id, node, pid }) => ({ id, node, pid })), engines: rc.engines.length }, null, 2)}\n`)
    } else {
      const ids = added.map((e) => e.id).join(', ')
      process.stdout.write(`clusterdesk: added ${nodes.length} node${nodes.length === 1 ? '' : 's'} to profile '${profile}': engine${added.length === 1 ? '' : 's'} ${ids || '(none yet)'}; ${rc.engines.length} in all\n`)
    }
  } finally {
    await rc.close()
  }
}
