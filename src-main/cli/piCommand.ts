/**
 * `clusterdesk pi`: starts a local cluster, runs the π experiment in one mode or all, prints a
 * report (or JSON) and always stops the cluster — after the run, on an error and on Ctrl-C.
 */
import { Cluster } from '../cluster/Cluster'
import { ClusterConfigError, type NodeSpec } from '../cluster/options'
import { resolvePiOptions } from '../experiments/pi/options'
import { PI_MODES, PiOptionsError, runPi, type PiKernel, type PiMode, type PiResult } from '../experiments/pi/runPi'
import { nodesFromOptions } from './nodeOption'
import type { Client } from '../core/client/Client'
import { checkProfileName } from './profileFiles'
import { connect } from './remote'
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
  /** Run on the cluster running under this profile (`clusterdesk start`) instead of starting one. */
  profile?: string
  /** `--engines` was given on the command line (not its default): refused with `--profile`. */
  enginesGiven?: boolean
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

export async function piCommand(options: PiCommandOptions): Promise<void> {
  const { samples, tasks, engines, kernel, seed, json = false } = options
  const modes: PiMode[] = options.allModes ? [...PI_MODES] : [options.mode]
  try {
    for (const mode of modes) resolvePiOptions({ samples, tasks, mode, kernel, seed })
  } catch (err) {
    if (!(err instanceof PiOptionsError)) throw err
    throw new CliUsageError(`option '${FLAGS[err.option] ?? err.option}' is invalid: ${err.message.slice(err.option.length + 2)}`)
  }
  if (options.profile !== undefined) {
    const clash = options.node?.length ? '--node' : options.enginesGiven ? '--engines' : options.nodePath ? '--node-path' : options.acceptNewHostKeys ? '--accept-new-host-keys' : null
    if (clash) {
      throw new CliUsageError(
        `${clash} cannot be used with --profile: the cluster is already running (add nodes with \`clusterdesk start --profile ${options.profile} --node local:2\`)`,
      )
    }
    const profile = checkProfileName(options.profile)
    return printResults(options, await piOnProfile(profile, modes, { samples, tasks, kernel, seed }))
  }
  let cluster: Cluster
  let nodes: NodeSpec[]
  try {
    nodes = nodesFromOptions(options)
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
  printResults(options, results)
}

function printResults(options: PiCommandOptions, results: PiResult[]): void {
  if (options.json) process.stdout.write(`${JSON.stringify(options.allModes ? results : results[0], null, 2)}\n`)
  else process.stdout.write(`${options.allModes ? formatComparison(results) : formatReport(results[0])}\n`)
}

type PiRun = Pick<PiCommandOptions, 'samples' | 'tasks' | 'kernel' | 'seed'>

/**
 * `pi --profile P`: the same runs on the cluster running under P, through a connected client that
 * leaves at the end; the cluster and its engines keep running. Ctrl-C makes this client leave at
 * once, which drops its queued tasks (tasks already running on an engine finish there, unseen).
 */
async function piOnProfile(profile: string, modes: PiMode[], run: PiRun): Promise<PiResult[]> {
  const rc = await connect({ profile })
  const progress = createProgress()
  let interrupted = false
  const stopOnSignal = onInterrupt(async () => {
    interrupted = true
    progress.stop()
    process.stderr.write(`clusterdesk: interrupted; leaving profile '${profile}' (its engines keep running)…\n`)
    await rc.close().catch(() => undefined)
    setTimeout(() => process.exit(INTERRUPTED), 2000).unref()
  })
  const results: PiResult[] = []
  try {
    for (const mode of modes) results.push(await runOne(rc, { ...run, mode }, progress))
  } catch (err) {
    throw interrupted ? new InterruptedError() : err
  } finally {
    progress.stop()
    await rc.close().catch(() => undefined)
    stopOnSignal()
  }
  if (interrupted) throw new InterruptedError()
  return results
}

async function runOne(rc: Client, run: PiRun & { mode: PiMode }, progress: RunProgress): Promise<PiResult> {
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
