/**
 * `--node` values for batch nodes, read as URLs beside `local:2` and `ssh://…`:
 *   slurm:PARTITION?time=01:00:00&nodes=2&engines=8            submit from this machine
 *   slurm://[user@]login[:port]/PARTITION?time=…                submit through an SSH login host
 *   pbs:QUEUE?walltime=01:00:00&nodes=2&engines=8   (and pbs://login/QUEUE?…)
 * Options: engines (per node), nodes, time|walltime, account, setup (repeatable, one command
 * each), sbatchArgs|qsubArgs (repeatable, one word each), nodePath, bundleDir, joinHost,
 * listenHost, schedulerPath, pollMs, cwd; with a login host also identityFile, knownHostsFile,
 * strictHostKeyChecking, agent. Values are URL-encoded (`+` or %20 for a space).
 */
import { InvalidArgumentError } from 'commander'
import type { PbsNodeSpec, SlurmNodeSpec } from '../cluster/options'

const EXAMPLE = "like 'slurm:debug?time=01:00:00&nodes=2&engines=8' or 'slurm://bo@login1/debug?time=30'"
const COMMON = ['engines', 'nodes', 'account', 'setup', 'nodePath', 'bundleDir', 'joinHost', 'listenHost', 'schedulerPath', 'pollMs', 'cwd'] as const
const LOGIN = ['identityFile', 'knownHostsFile', 'strictHostKeyChecking', 'agent'] as const
const OWN = { slurm: ['time', 'sbatchArgs'], pbs: ['walltime', 'qsubArgs'] } as const

function count(text: string, what: string): number {
  const n = /^\d+$/.test(text) ? Number(text) : Number.NaN
  if (!(n >= 1 && n <= 100000)) throw new InvalidArgumentError(`Expected ${what} as a whole number ≥ 1, got '${text}'.`)
  return n
}

/** A `slurm:`/`pbs:` `--node` value as a node spec; InvalidArgumentError when it cannot be read. */
export function parseBatchNodeOption(text: string): SlurmNodeSpec | PbsNodeSpec {
  const kind = text.startsWith('slurm:') ? 'slurm' : 'pbs'
  let url: URL
  try {
    url = new URL(text)
  } catch {
    throw new InvalidArgumentError(`Cannot read the ${kind} node '${text}'; write it ${EXAMPLE}.`)
  }
  if (url.password) throw new InvalidArgumentError('Passwords in --node are not supported (they would show in the process list); use an identity file or ssh-agent.')
  const viaLogin = text.startsWith(`${kind}://`)
  const queue = decodeURIComponent(url.pathname.replace(/^\//, ''))
  const queueName = kind === 'slurm' ? 'partition' : 'queue'
  if (!queue || queue.includes('/')) throw new InvalidArgumentError(`The ${kind} node '${text}' names no ${queueName}; write it ${EXAMPLE}.`)
  if (viaLogin && !url.hostname) throw new InvalidArgumentError(`The ${kind} node '${text}' names no login host; write it ${EXAMPLE}.`)
  const known: readonly string[] = [...COMMON, ...OWN[kind], ...(viaLogin ? LOGIN : [])]
  const spec: Record<string, unknown> = kind === 'slurm' ? { kind, partition: queue } : { kind, queue }
  const login: Record<string, unknown> = {}
  if (viaLogin) {
    login.host = url.hostname.replace(/^\[|\]$/g, '')
    if (url.port) login.port = Number(url.port)
    if (url.username) login.user = decodeURIComponent(url.username)
  }
  for (const [key, value] of url.searchParams) {
    if (!known.includes(key)) throw new InvalidArgumentError(`Unknown ${kind} node option '${key}' in '${text}'; known: ${known.join(', ')}.`)
    if (value === '') throw new InvalidArgumentError(`The ${kind} node option '${key}' is empty in '${text}'.`)
    if (key === 'engines' || key === 'nodes' || key === 'pollMs') spec[key] = count(value, key)
    else if (key === 'setup' || key === 'sbatchArgs' || key === 'qsubArgs') spec[key] = [...((spec[key] as string[]) ?? []), value]
    else if ((LOGIN as readonly string[]).includes(key)) {
      if (key === 'strictHostKeyChecking' && value !== 'yes' && value !== 'accept-new') throw new InvalidArgumentError(`strictHostKeyChecking must be 'yes' or 'accept-new', got '${value}'.`)
      login[key] = value
    } else spec[key] = value
  }
  const time = kind === 'slurm' ? 'time' : 'walltime'
  if (spec[time] === undefined) throw new InvalidArgumentError(`The ${kind} node '${text}' needs ${time}=… (the job's time limit, e.g. ${time}=01:00:00).`)
  if (viaLogin) spec.login = login
  return spec as unknown as SlurmNodeSpec | PbsNodeSpec
}
