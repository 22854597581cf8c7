/**
 * `clusterdesk pi`: starts a local cluster, runs the π experiment in one mode or all, prints a
 * report (or JSON) and always stops the cluster — after the run, on an error and on Ctrl-C.
 */
import { Cluster } from '../cluster/Cluster'
import { ClusterConfigError, type NodeSpec } from '../cluster/options'
import { resolvePiOptions } from '../experiments/pi/options'
import { loginTarget } from '../nodes/batch/BatchLauncher'
import { PI_MODES, PiOptionsError, runPi, type PiKernel, type PiMode, type PiResult } from '../experiments/pi/runPi'
import { createProgress, type RunProgress } from './progressBar'
import { createSshRetry, PromptInterrupted } from './sshPrompts'
import { formatComparison, formatReport } from './report'

export interface PiCommandOptions {
  samples: number
  tasks: number
  engines: number
  mode: PiMode
  kernel: PiKernel
  seed: number
  allModes?: boolean
  json?: boolean
  nodePath?: string
  /** From repeatable `--node`; when given, `engines` is not used. */
  node?: NodeSpec[]
  /** Trust (and record) unknown SSH host keys without asking: strictHostKeyChecking accept-new for every SSH node. */
  acceptNewHostKeys?: boolean
}

/** Input the command cannot use: reported as one line, exit status 2, nothing started. */
export class CliUsageError extends Error {
  override name = 'CliUsageError'
}

/** Exit status after Ctrl-C (128 + SIGINT), as shells report it. */
export const INTERRUPTED = 130

/** The run was stopped by Ctrl-C (or SIGTERM); the engines are already gone. */
export class InterruptedError extends Error {
  override name = 'InterruptedError'
  constructor() {
    super('interrupted')
  }
}

/** The command-line flag of each runPi option, to name it in errors. */
const FLAGS: Record<string, string> = { samples: '--samples <n>', tasks: '--tasks <n>', mode: '--mode <mode>', kernel: '--kernel <kernel>', seed: '--seed <n>' }

/** A batch node's job while the cluster starts (`slurm job 12: PENDING (Priority)`): a queued job does not look hung. */
const onProgress = (node: string, message: string): void => void process.stderr.write(`clusterdesk: ${node}: ${message}\n`)

/** `--accept-new-host-keys` for an SSH node, or for a batch node's login host. */
function acceptNew(node: NodeSpec): NodeSpec {
  if (node.kind === 'ssh') return { ...node, strictHostKeyChecking: 'accept-new' }
  if ((node.kind === 'slurm' || node.kind === 'pbs') && node.login) {
    const login = typeof node.login === 'string' ? loginTarget(node.login) : node.login
    return { ...node, login: { ...login, strictHostKeyChecking: 'accept-new' } }
  }
  return node
}

export async function piCommand(options: PiCommandOptions): Promise<void> {
  const { samples, tasks, engines, kernel, seed, json = false, nodePath } = options
  const modes: PiMode[] = options.allModes ? [...PI_MODES] : [options.mode]
  try {
    for (const mode of modes) resolvePiOptions({ samples, tasks, mode, kernel, seed })
  } catch (err) {
    if (!(err instanceof PiOptionsError)) throw err
    throw new CliUsageError(`option '${FLAGS[err.option] ?? err.option}' is invalid: ${err.message.slice(err.option.length + 2)}`)
  }
  let cluster: Cluster
  let nodes: NodeSpec[]
  try {
    nodes = options.node?.length
      ? options.node.map((n) =>
          n.kind === 'local' ? (nodePath ? { ...n, nodePath } : n) : options.acceptNewHostKeys ? acceptNew(n) : n,
        )
      : [{ kind: 'local', engines, ...(nodePath ? { nodePath } : {}) }]
    cluster = new Cluster({ nodes, onProgress })
  } catch (err) {
    throw err instanceof ClusterConfigError ? new CliUsageError(err.message) : err
  }

  const progress = createProgress()
  let interrupted = false
  const stopOnSignal = onInterrupt(async () => {
    interrupted = true
    progress.stop()
    process.stderr.write('clusterdesk: interrupted, stopping the engines…\n')
    await cluster.stop()
    // The run fails once its engines are gone and the command returns; exit anyway if it does not.
    setTimeout(() => process.exit(INTERRUPTED), 2000).unref()
  })
  const results: PiResult[] = []
  try {
    if (process.stderr.isTTY) {
      const what = options.node?.length ? `${options.node.length} node${options.node.length === 1 ? '' : 's'}` : `${engines} local engine${engines === 1 ? '' : 's'}`
      process.stderr.write(`clusterdesk: starting ${what}…\n`)
    }
    // An unknown host key or an encrypted identity file: ask on the terminal, then start again.
    const retry = createSshRetry()
    let rc: Awaited<ReturnType<Cluster['start']>>
    for (;;) {
      try {
        rc = await cluster.start()
        break
      } catch (err) {
        if (interrupted) throw err
        nodes = await retry(err, nodes)
        if (interrupted) throw err
        cluster = new Cluster({ nodes, onProgress })
      }
    }
    for (const mode of modes) results.push(await runOne(rc, { samples, tasks, mode, kernel, seed }, progress))
  } catch (err) {
    throw interrupted || err instanceof PromptInterrupted ? new InterruptedError() : err
  } finally {
    progress.stop()
    await cluster.stop()
    stopOnSignal()
  }
  if (interrupted) throw new InterruptedError()

  if (json) process.stdout.write(`${JSON.stringify(options.allModes ? results : results[0], null, 2)}\n`)
  else process.stdout.write(`${options.allModes ? formatComparison(results) : formatReport(results[0])}\n`)
}

async function runOne(rc: Awaited<ReturnType<Cluster['start']>>, run: Omit<PiCommandOptions, 'engines'>, progress: RunProgress): Promise<PiResult> {
  progress.start(run.mode, run.tasks)
  try {
    return await runPi(rc, { ...run, onProgress: (done) => progress.update(done) })
  } finally {
    progress.stop()
  }
}

/** Runs `handler` once on SIGINT or SIGTERM (a second signal exits at once); returns the undo. */
function onInterrupt(handler: () => Promise<void>): () => void {
  let fired = false
  const listener = (): void => {
    if (fired) process.exit(INTERRUPTED)
    fired = true
    void handler()
  }
  process.on('SIGINT', listener)
  process.on('SIGTERM', listener)
  return () => {
    process.off('SIGINT', listener)
    process.off('SIGTERM', listener)
  }
}
