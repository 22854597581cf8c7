/**
 * The controller daemon of `clusterdesk start` (the hidden `clusterdesk _daemon` command): reads
 * its configuration from the IPC pipe, starts the cluster under the profile (which publishes the
 * connection file), reports "engines up" or the error, and then lives until its cluster stops —
 * by a client's `shutdown()`, by SIGTERM/SIGINT from `clusterdesk stop`, or by an error.
 * Its stdout and stderr are the profile's controller.log; nothing secret is written there.
 */
import { Cluster } from '../cluster/Cluster'
import type { ClusterOptions, NodeSpec } from '../cluster/options'
import { CliUsageError } from './piCommand'
import { toWire, type DaemonConfig, type FromDaemon } from './daemonMessages'

/** How often the daemon checks that its cluster still runs (it exits once it does not). */
const WATCH_MS = 500

const log = (text: string): void => void process.stdout.write(`${new Date().toISOString()} ${text}\n`)

/** A node as the log names it: never its passphrase or environment. */
function describeNode(node: NodeSpec): string {
  const engines = node.engines === undefined ? 'one engine per core' : `${node.engines} engine${node.engines === 1 ? '' : 's'}`
  if (node.kind === 'local') return `local (${engines})`
  if (node.kind === 'slurm') return `slurm:${node.partition ?? ''} (${engines} on each of ${node.nodes ?? 1} nodes)`
  if (node.kind === 'pbs') return `pbs:${node.queue ?? ''} (${engines} on each of ${node.nodes ?? 1} nodes)`
  return `ssh://${node.user ? `${node.user}@` : ''}${node.host}${node.port ? `:${node.port}` : ''} (${engines})`
}

export async function runDaemon(): Promise<void> {
  if (!process.send) throw new CliUsageError('`clusterdesk _daemon` is started by `clusterdesk start`; run that instead.')
  // A `start` that is gone (killed) no longer hears the answer; the cluster then runs on regardless.
  const send = (message: FromDaemon): void => {
    if (process.connected) process.send?.(message, undefined, {}, () => undefined)
  }
  // `start` died before it said what to start: there is nothing to do.
  const orphaned = (): never => process.exit(1)
  process.once('disconnect', orphaned)
  const config = await new Promise<DaemonConfig>((resolve) => process.once('message', (m) => resolve(m as DaemonConfig)))
  process.off('disconnect', orphaned)
  const { profile, nodes, listen } = config
  log(`controller pid ${process.pid}, profile '${profile}': starting ${nodes.map(describeNode).join(', ')}`)

  // Writes to the log file are synchronous, so even this last line is kept.
  process.on('exit', (code) => log(`controller pid ${process.pid} exits (status ${code})`))
  // The daemon has no terminal; a hang-up of the shell that started it is not a reason to stop.
  process.on('SIGHUP', () => log('ignoring SIGHUP'))
  const options: ClusterOptions = { nodes, profile, keepAlive: true, ...(listen ? { listen } : {}) }
  let cluster: Cluster
  try {
    cluster = new Cluster(options)
  } catch (err) {
    send({ type: 'failed', error: toWire(err) })
    log(`not started: ${(err as Error).message}`)
    process.exit(1)
  }

  let stopping: Promise<void> | null = null
  const stop = (why: string): Promise<void> =>
    (stopping ??= (async () => {
      log(`stopping (${why})`)
      await cluster.stop()
      log('stopped: no engine or agent left')
      process.exit(0)
    })())
  process.on('SIGTERM', () => void stop('SIGTERM'))
  process.on('SIGINT', () => void stop('SIGINT'))

  try {
    const rc = await cluster.start()
    const file = cluster.connectionFile
    const engines = rc.engines.map(({ id, node, pid }) => ({ id, node, pid }))
    log(`engines up: ${engines.map((e) => `${e.id} (pid ${e.pid})`).join(', ')}`)
    send({ type: 'ready', pid: process.pid, profile, file, engines })
  } catch (err) {
    log(`not started: ${(err as Error).message}`)
    send({ type: 'failed', error: toWire(err) })
    await cluster.stop()
    process.exit(1)
  }
  // `clusterdesk start` has what it waited for; from here the daemon answers only its clients.
  process.disconnect?.()

  // The published controller keeps the process alive while it serves (keepAlive). Once a client's
  // shutdown has stopped the cluster the process ends by itself; this watch only makes sure of it.
  const watch = setInterval(() => {
    if (stopping || cluster.client !== null || cluster.connectionFile !== null) return
    clearInterval(watch)
    log('stopped by a client: no engine or agent left')
    setTimeout(() => process.exit(0), 2000).unref()
  }, WATCH_MS)
  watch.unref()
}
