/** The engines table's columns (render functions: naive's table takes them this way). */
import { NButton, NProgress, NSpace, NTag, type DataTableColumns } from 'naive-ui'
import { h } from 'vue'
import type { EngineView } from '../../../../src-main/service/api'
import { formatBytes, formatPercent } from '../../lib/format'
import { columnsFor, type TableSize } from '../../lib/windowSize'
import { ENGINE_STATE_LABEL, ENGINE_STATE_TAG } from '../stateColors'
import EngineOutput from './EngineOutput.vue'

export interface EngineActions {
  interrupt(engine: EngineView): void
  restart(engine: EngineView): void
  stop(engine: EngineView): void
}

function state(engine: EngineView) {
  const exit = engine.exit ? [engine.exit.code !== null && `exit ${engine.exit.code}`, engine.exit.signal].filter(Boolean).join(' · ') || 'exited' : null
  return h('span', { class: 'engine-state' }, [
    h(NTag, { type: ENGINE_STATE_TAG[engine.state], size: 'small', bordered: false, 'data-testid': `engine-state-${engine.id}` }, () => ENGINE_STATE_LABEL[engine.state]),
    exit ? h('span', { class: 'exit-code', 'data-testid': `engine-exit-code-${engine.id}` }, ` ${exit}`) : null,
  ])
}

/** Columns left out in a narrower window: the row's output (expanded) still tells most of it. */
const HIDDEN: Record<TableSize, readonly string[]> = {
  full: [],
  medium: ['pid', 'currentTask', 'memory'],
  narrow: ['pid', 'currentTask', 'memory', 'tasksDone', 'busyShare'],
}

export function engineColumns(actions: EngineActions, size: TableSize = 'full'): DataTableColumns<EngineView> {
  return columnsFor(allColumns(actions, size), HIDDEN, size)
}

function allColumns(actions: EngineActions, size: TableSize): DataTableColumns<EngineView> {
  return [
    { type: 'expand', fixed: 'left', renderExpand: (engine) => h(EngineOutput, { engine }) },
    { title: 'Id', key: 'id', width: 56, fixed: 'left', render: (e) => h('strong', null, String(e.id)) },
    // The node's name, and under it the host it runs on (when that says more than the name).
    {
      title: 'Node',
      key: 'node',
      minWidth: size === 'full' ? 150 : 120,
      ellipsis: { tooltip: true },
      render: (e) => h('div', null, [h('div', null, e.nodeName), e.host && e.host !== 'localhost' && e.host !== e.nodeName ? h('div', { class: 'engine-host' }, e.host) : null]),
    },
    { title: 'PID', key: 'pid', width: 76, render: (e) => (e.pid === null ? '—' : String(e.pid)) },
    { title: 'State', key: 'state', width: 156, render: state },
    { title: 'Task', key: 'currentTask', width: 112, render: (e) => (e.currentTask === null ? '—' : `#${e.currentTask}`) },
    { title: 'Done', key: 'tasksDone', width: 70, align: 'right', render: (e) => e.tasksDone.toLocaleString() },
    {
      title: () => h('span', { title: 'Share of the last 10 s spent running tasks' }, 'Busy (10 s)'),
      key: 'busyShare',
      width: 120,
      render: (e) =>
        e.state === 'dead'
          ? '—'
          : h(
          NProgress,
          { type: 'line', percentage: Math.round(e.busyShare * 100), height: 10, showIndicator: true, indicatorPlacement: 'outside', processing: e.state === 'busy', 'aria-label': `busy ${formatPercent(e.busyShare)}` },
          () => formatPercent(e.busyShare),
        ),
    },
    { title: 'Memory', key: 'memory', width: 90, align: 'right', render: (e) => formatBytes(e.memory) },
    // Fixed on the right: if the table still scrolls sideways, the buttons stay in view.
    {
      title: 'Actions',
      key: 'actions',
      width: 200,
      fixed: 'right',
      render: (e) =>
        h(NSpace, { size: 6, wrap: false }, () => [
          h(NButton, { size: 'tiny', secondary: true, type: 'warning', disabled: e.state !== 'busy', 'data-testid': `engine-interrupt-${e.id}`, onClick: () => actions.interrupt(e) }, () => 'Interrupt'),
          h(NButton, { size: 'tiny', secondary: true, 'data-testid': `engine-restart-${e.id}`, onClick: () => actions.restart(e) }, () => 'Restart'),
          h(NButton, { size: 'tiny', quaternary: true, type: 'error', disabled: e.state === 'dead', 'data-testid': `engine-stop-${e.id}`, onClick: () => actions.stop(e) }, () => 'Stop'),
        ]),
    },
  ]
}
