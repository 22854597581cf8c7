/** The node form's working copy, and its conversion to the service's `NodeInput`. */
import type { NodeInput, NodeKind, NodeRecord } from '../../../../src-main/service/api'

export interface NodeDraft {
  id?: string
  name: string
  kind: NodeKind
  /** null: one engine per core. */
  engines: number | null
  nodePath: string
  cwd: string
  ssh: { host: string; port: number | null; user: string; identityFile: string; useAgent: boolean }
  /** Slurm/PBS nodes: `setup` and `extraArgs` one a line; `viaLogin` submits through the SSH host above. */
  batch: { queue: string; time: string; nodes: number | null; account: string; setup: string; extraArgs: string; viaLogin: boolean }
}

export const isBatchDraft = (draft: NodeDraft): boolean => draft.kind === 'slurm' || draft.kind === 'pbs'

const lines = (text: string): string[] =>
  text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)

export const emptyDraft = (name = ''): NodeDraft => ({
  name,
  kind: 'local',
  engines: null,
  nodePath: '',
  cwd: '',
  ssh: { host: '', port: 22, user: '', identityFile: '', useAgent: true },
  batch: { queue: '', time: '01:00:00', nodes: 1, account: '', setup: '', extraArgs: '', viaLogin: false },
})

export function draftFrom(node: NodeRecord): NodeDraft {
  const base = emptyDraft(node.name)
  return {
    ...base,
    id: node.id,
    kind: node.kind,
    engines: node.engines,
    nodePath: node.nodePath ?? '',
    cwd: node.cwd ?? '',
    ssh: node.ssh ? { ...base.ssh, ...node.ssh, port: node.ssh.port ?? 22, user: node.ssh.user ?? '', identityFile: node.ssh.identityFile ?? '', useAgent: node.ssh.useAgent ?? false } : base.ssh,
    batch: node.batch
      ? {
          queue: node.batch.queue,
          time: node.batch.time,
          nodes: node.batch.nodes ?? 1,
          account: node.batch.account ?? '',
          setup: (node.batch.setup ?? []).join('\n'),
          extraArgs: (node.batch.extraArgs ?? []).join('\n'),
          viaLogin: Boolean(node.ssh?.host),
        }
      : base.batch,
  }
}

export function toInput(draft: NodeDraft): NodeInput & { id?: string } {
  const input: NodeInput & { id?: string } = { name: draft.name.trim(), kind: draft.kind, engines: draft.engines }
  if (draft.id) input.id = draft.id
  if (draft.nodePath.trim()) input.nodePath = draft.nodePath.trim()
  if (draft.cwd.trim()) input.cwd = draft.cwd.trim()
  if (draft.kind === 'ssh' || (isBatchDraft(draft) && draft.batch.viaLogin)) {
    const { host, port, user, identityFile, useAgent } = draft.ssh
    input.ssh = { host: host.trim(), useAgent }
    if (port) input.ssh.port = port
    if (user.trim()) input.ssh.user = user.trim()
    if (!useAgent && identityFile.trim()) input.ssh.identityFile = identityFile.trim()
  }
  if (isBatchDraft(draft)) {
    const { queue, time, nodes, account, setup, extraArgs } = draft.batch
    input.batch = { queue: queue.trim(), time: time.trim() }
    if (nodes) input.batch.nodes = nodes
    if (account.trim()) input.batch.account = account.trim()
    if (lines(setup).length) input.batch.setup = lines(setup)
    if (lines(extraArgs).length) input.batch.extraArgs = lines(extraArgs)
  }
  return input
}

/** Field → message for what would make the service refuse the node. */
export type DraftField = 'name' | 'engines' | 'host' | 'port' | 'user' | 'queue' | 'time' | 'nodes'

export function draftErrors(draft: NodeDraft, takenNames: string[]): Partial<Record<DraftField, string>> {
  const errors: Partial<Record<DraftField, string>> = {}
  const name = draft.name.trim()
  if (!name) errors.name = 'Give the node a name, e.g. "this machine"'
  else if (takenNames.includes(name)) errors.name = `There is already a node called "${name}"`
  if (draft.engines !== null && (!Number.isInteger(draft.engines) || draft.engines < 1)) errors.engines = 'Engines must be a whole number of at least 1'
  if (isBatchDraft(draft)) {
    const slurm = draft.kind === 'slurm'
    if (!draft.batch.queue.trim()) errors.queue = slurm ? 'Name the Slurm partition (see sinfo)' : 'Name the PBS queue (see qstat -Q)'
    if (!draft.batch.time.trim()) errors.time = "Give the job's time limit, e.g. 01:00:00"
    if (draft.batch.nodes !== null && (!Number.isInteger(draft.batch.nodes) || draft.batch.nodes < 1)) errors.nodes = 'Nodes must be a whole number of at least 1'
  }
  if (draft.kind === 'ssh' || (isBatchDraft(draft) && draft.batch.viaLogin)) {
    const host = draft.ssh.host.trim()
    if (!host) errors.host = draft.kind === 'ssh' ? 'Host is required for an SSH node' : 'Name the login host, or submit from this machine'
    else if (/\s/.test(host)) errors.host = 'A host name has no spaces'
    else if (host.length > 255) errors.host = 'That host name is too long'
    if (/\s/.test(draft.ssh.user.trim())) errors.user = 'A user name has no spaces'
    if (draft.ssh.port !== null && (!Number.isInteger(draft.ssh.port) || draft.ssh.port < 1 || draft.ssh.port > 65535)) errors.port = 'Port is 1–65535'
  }
  return errors
}
