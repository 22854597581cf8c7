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
}

export const emptyDraft = (name = ''): NodeDraft => ({
  name,
  kind: 'local',
  engines: null,
  nodePath: '',
  cwd: '',
  ssh: { host: '', port: 22, user: '', identityFile: '', useAgent: true },
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
  }
}

export function toInput(draft: NodeDraft): NodeInput & { id?: string } {
  const input: NodeInput & { id?: string } = { name: draft.name.trim(), kind: draft.kind, engines: draft.engines }
  if (draft.id) input.id = draft.id
  if (draft.nodePath.trim()) input.nodePath = draft.nodePath.trim()
  if (draft.cwd.trim()) input.cwd = draft.cwd.trim()
  if (draft.kind === 'ssh') {
    const { host, port, user, identityFile, useAgent } = draft.ssh
    input.ssh = { host: host.trim(), useAgent }
    if (port) input.ssh.port = port
    if (user.trim()) input.ssh.user = user.trim()
    if (!useAgent && identityFile.trim()) input.ssh.identityFile = identityFile.trim()
  }
  return input
}

/** Field → message for what would make the service refuse the node. */
export function draftErrors(draft: NodeDraft, takenNames: string[]): Partial<Record<'name' | 'engines' | 'host' | 'port' | 'user', string>> {
  const errors: Partial<Record<'name' | 'engines' | 'host' | 'port' | 'user', string>> = {}
  const name = draft.name.trim()
  if (!name) errors.name = 'Give the node a name, e.g. "this machine"'
  else if (takenNames.includes(name)) errors.name = `There is already a node called "${name}"`
  if (draft.engines !== null && (!Number.isInteger(draft.engines) || draft.engines < 1)) errors.engines = 'Engines must be a whole number of at least 1'
  if (draft.kind === 'ssh') {
    const host = draft.ssh.host.trim()
    if (!host) errors.host = 'Host is required for an SSH node'
    else if (/\s/.test(host)) errors.host = 'A host name has no spaces'
    else if (host.length > 255) errors.host = 'That host name is too long'
    if (/\s/.test(draft.ssh.user.trim())) errors.user = 'A user name has no spaces'
    if (draft.ssh.port !== null && (!Number.isInteger(draft.ssh.port) || draft.ssh.port < 1 || draft.ssh.port > 65535)) errors.port = 'Port is 1–65535'
  }
  return errors
}
