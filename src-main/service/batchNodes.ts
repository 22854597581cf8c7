/** The app's Slurm and PBS nodes: the cluster spec of a record, and its job's state as a node state. */
import type { BatchJobInfo } from '../core/client/EngineHandle'
import type { BatchNodeSpec } from '../cluster/options'
import { hostname } from 'node:os'
import { runCommand } from '../engine/batch/schedulers'
import type { NodeInput, NodeState, NodeTestResult } from './api'
import type { HostKeyFiles } from './sshNodes'

export const isBatchKind = (kind: NodeInput['kind']): kind is 'slurm' | 'pbs' => kind === 'slurm' || kind === 'pbs'

/** The cluster spec of a batch node record; its `ssh` settings, if any, are the login host. */
export function batchSpecOf(input: NodeInput, files: Partial<HostKeyFiles>, passphrase?: string): BatchNodeSpec {
  const batch = input.batch
  if (!isBatchKind(input.kind) || !batch) throw new Error(`the node '${input.name}' is not a Slurm or PBS node`)
  const ssh = input.ssh
  const common = {
    engines: input.engines ?? undefined,
    nodes: batch.nodes,
    account: batch.account || undefined,
    setup: batch.setup?.length ? batch.setup : undefined,
    nodePath: input.nodePath || undefined,
    cwd: input.cwd || undefined,
    login: ssh?.host
      ? {
          host: ssh.host,
          port: ssh.port,
          user: ssh.user || undefined,
          identityFile: (!ssh.useAgent && ssh.identityFile) || undefined,
          agent: ssh.useAgent ? undefined : '',
          passphrase: passphrase || undefined,
          knownHostsFile: files.knownHostsFile,
          strictHostKeyChecking: 'yes' as const,
        }
      : undefined,
  }
  const extra = batch.extraArgs?.length ? batch.extraArgs : undefined
  return input.kind === 'slurm'
    ? { kind: 'slurm', partition: batch.queue, time: batch.time, sbatchArgs: extra, ...common }
    : { kind: 'pbs', queue: batch.queue, walltime: batch.time, qsubArgs: extra, ...common }
}

/** A starting batch node's state from its job: waiting in the queue, or running and registering. */
export function batchStateOf(job: BatchJobInfo | null): NodeState {
  return job && /^(PENDING|QUEUED|HELD|WAITING|CONFIGURING)$/.test(job.state) ? 'queued' : 'starting'
}

/**
 * "Test" for a batch node submitted from this machine: the scheduler's commands are here and
 * answer (nothing is submitted). Through a login host the SSH test applies instead.
 */
export async function testBatchNode(input: NodeInput): Promise<NodeTestResult> {
  const slurm = input.kind === 'slurm'
  const command = slurm ? 'sinfo' : 'qstat'
  const args = slurm ? ['-h', '-p', input.batch?.queue ?? '', '-o', '%P %a %D nodes'] : ['-Q']
  const r = await runCommand(command, args, 10000)
  if (r.spawnError) return { ok: false, message: `${command} is not installed on this machine; submit from a ${slurm ? 'Slurm' : 'PBS'} login host (set its SSH host) or install the scheduler's client commands` }
  if (r.code !== 0) return { ok: false, message: `${command} failed: ${(r.stderr || r.stdout).trim().slice(0, 300)}` }
  const out = r.stdout.trim()
  if (slurm && !out) return { ok: false, message: `Slurm has no partition '${input.batch?.queue}' (see sinfo)` }
  return { ok: true, message: slurm ? `Slurm partition ${out}` : `PBS answers: ${out.split('\n').slice(0, 3).join(' | ')}`, host: hostname() }
}
