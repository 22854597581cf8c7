/** The nodes table's columns (render functions: naive's table takes them this way). */
import { NButton, NPopconfirm, NSpace, NTag, type DataTableColumns } from 'naive-ui'
import { h } from 'vue'
import type { NodeRow } from '../../stores/nodes'
import { NODE_STATE_TAG } from '../stateColors'

export interface NodeActions {
  start(node: NodeRow): void
  reconnect(node: NodeRow): void
  stop(node: NodeRow): void
  edit(node: NodeRow): void
  remove(node: NodeRow): void
}

const RUNNING = new Set(['connecting', 'uploading', 'queued', 'starting', 'ready'])

// A failed or lost node says why right under its state: that is what the user must fix.
function stateTag(row: NodeRow) {
  const tag = h(NTag, { type: NODE_STATE_TAG[row.status.state], size: 'small', bordered: false, 'data-testid': 'node-state' }, () => row.status.state)
  if (row.status.job && !['failed', 'lost'].includes(row.status.state)) return h('div', null, [tag, job(row)])
  if (!row.status.reason) return tag
  return h('div', null, [tag, h('div', { class: 'node-reason', 'data-testid': 'node-reason' }, row.status.reason)])
}

function kind(row: NodeRow): string {
  if (row.kind === 'local') return 'local'
  if (row.kind === 'ssh') return `ssh · ${row.ssh?.host ?? ''}`
  return `${row.kind} · ${row.batch?.queue ?? ''}${row.ssh?.host ? ` via ${row.ssh.host}` : ''}`
}

/** A batch node's job in the scheduler's words (`slurm job 12: PENDING (Priority)`), while it has one. */
function job(row: NodeRow) {
  const j = row.status.job
  if (!j) return null
  return h('div', { class: 'node-reason', 'data-testid': 'node-job' }, `${j.scheduler} job ${j.id}: ${j.state}${j.reason ? ` (${j.reason})` : ''}`)
}

function engines(row: NodeRow): string {
  const running = row.liveEngines
  const perNode = row.batch ? ` × ${row.batch.nodes ?? 1} node${(row.batch.nodes ?? 1) > 1 ? 's' : ''}` : ''
  const planned = row.engines === null ? (row.batch ? `1${perNode}` : `one per core${row.status.cores ? ` (${row.status.cores})` : ''}`) : `${row.engines}${perNode}`
  return running ? `${running} running of ${planned}` : planned
}

export function nodeColumns(actions: NodeActions): DataTableColumns<NodeRow> {
  return [
    { title: 'Name', key: 'name', width: 140, fixed: 'left', ellipsis: { tooltip: true }, render: (row) => h('strong', null, row.name) },
    { title: 'Kind', key: 'kind', width: 120, ellipsis: { tooltip: true }, render: kind },
    { title: 'State', key: 'state', minWidth: 130, render: stateTag },
    { title: 'Engines', key: 'engines', minWidth: 140, render: engines },
    {
      title: 'Host',
      key: 'host',
      minWidth: 150,
      render: (row) =>
        [row.status.host, row.status.cores && `${row.status.cores} cores`, row.status.nodeVersion && `Node ${row.status.nodeVersion}`].filter(Boolean).join(' · ') || '—',
    },
    {
      title: 'Actions',
      key: 'actions',
      width: 320,
      render: (row) => {
        const running = RUNNING.has(row.status.state)
        return h(NSpace, { size: 6, wrap: false }, () => [
          h(NButton, { size: 'small', type: 'primary', secondary: true, disabled: running, 'data-testid': 'node-start', onClick: () => actions.start(row) }, () => 'Start'),
          row.status.state === 'lost' || row.status.state === 'failed'
            ? h(NButton, { size: 'small', type: 'warning', secondary: true, 'data-testid': 'node-reconnect', onClick: () => actions.reconnect(row) }, () => 'Reconnect')
            : null,
          h(NButton, { size: 'small', disabled: !running && row.status.engineIds.length === 0, 'data-testid': 'node-stop', onClick: () => actions.stop(row) }, () => 'Stop'),
          h(NButton, { size: 'small', quaternary: true, 'data-testid': 'node-edit', onClick: () => actions.edit(row) }, () => 'Edit'),
          h(
            NPopconfirm,
            { onPositiveClick: () => actions.remove(row), positiveText: 'Remove', positiveButtonProps: { type: 'error' } },
            {
              trigger: () => h(NButton, { size: 'small', quaternary: true, type: 'error', 'data-testid': 'node-remove' }, () => 'Remove'),
              default: () => `Remove ${row.name}? Its running engines will be stopped first.`,
            },
          ),
        ])
      },
    },
  ]
}
