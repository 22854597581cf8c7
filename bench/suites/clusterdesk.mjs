// clusterdesk's figures with 2 local engines, in-process and connected: each repetition starts and
// stops a plain cluster (start / stop), then publishes one under a profile in a temporary
// CLUSTERDESK_HOME and measures it through its own client and through a client that connect()s
// from a child process, as a notebook would.
import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Cluster } from '../../dist/index.js'
import { clientFigures } from '../clientFigures.mjs'
import { timed } from '../stats.mjs'

const ENGINES = 2
const PROFILE = 'bench'
const clientScript = fileURLToPath(new URL('../clientFigures.mjs', import.meta.url))

// DESIGN's tiny-task goal is relative to multiprocessing in the same run; without Python, its
// figure of 1.5 × the 56,000 tasks/s multiprocessing ran on this kind of machine.
const tinyTasks = (times, fallback) => ({ op: '>=', times, of: 'lbMap.multiprocessing', ofName: 'multiprocessing', fallback })
const simdGoals = [
  { op: '>=', value: 1200 },
  { op: '>=', times: 0.5, of: 'piSimd.c', ofName: 'vectorised C' },
]

/** The figures of one client, keyed as clientFigures() returns them. */
const perClient = (sizes) => [
  { key: 'apply', label: 'trivial apply round trip, one engine', unit: 'ms', better: 'lower', goals: { 'in-process': [{ op: '<=', value: 0.25 }], connected: [{ op: '<=', value: 0.4 }] } },
  { key: 'lbApply', label: `lb apply, ${sizes.lbTasks.toLocaleString('en')} tiny tasks in flight`, unit: 'tasks/s', better: 'higher', goals: { 'in-process': [tinyTasks(1.5, 85_000)], connected: [tinyTasks(1, 56_000)] } },
  { key: 'lbMap', label: `lb map, ${sizes.mapItems.toLocaleString('en')} one-item tasks (chunkSize 1)`, unit: 'tasks/s', better: 'higher', goals: { 'in-process': [tinyTasks(1.5, 85_000)], connected: [tinyTasks(1, 56_000)] } },
  { key: 'scatter', label: `scatter ${mbLabel(sizes)} Float64Array`, unit: 'MB/s', better: 'higher', goals: { 'in-process': [{ op: '>=', value: 1500 }], connected: [{ op: '>=', value: 1000 }] } },
  { key: 'gather', label: `gather ${mbLabel(sizes)} Float64Array`, unit: 'MB/s', better: 'higher', goals: { 'in-process': [{ op: '>=', value: 1500 }], connected: [{ op: '>=', value: 1000 }] } },
  { key: 'piSeeded', label: `π seeded kernel, ${exponent(sizes.piSamples)} samples, 2 engines`, unit: 'M/s', better: 'higher', goals: {} },
  { key: 'piSimd', label: `π simd kernel, ${exponent(sizes.piSamples)} samples, 2 engines`, unit: 'M/s', better: 'higher', goals: { 'in-process': simdGoals, connected: simdGoals } },
]

/** 2e9, not 2e+9. */
export function exponent(x) {
  return x.toExponential().replace('e+', 'e')
}

function mbLabel(sizes) {
  return `${Math.round((sizes.scatterLength * 8) / 1e6)} MB`
}

/** What each clusterdesk figure is compared with, when that figure was measured. */
const COMPARE = {
  start: ['start.ipyparallel'],
  stop: ['stop.ipyparallel'],
  apply: ['apply.ipyparallel'],
  lbApply: ['lbMap.multiprocessing', 'lbApply.ipyparallel'],
  lbMap: ['lbMap.multiprocessing', 'lbApply.ipyparallel'],
  scatter: ['scatter.ipyparallel'],
  gather: ['gather.ipyparallel'],
  piSeeded: ['piSeeded.c', 'piNumpy.ipyparallel'],
  piSimd: ['piSimd.c', 'piNumpy.ipyparallel'],
}

export const clusterdesk = {
  name: 'clusterdesk',
  home: undefined,
  async setup() {
    this.home = mkdtempSync(join(tmpdir(), 'clusterdesk-bench-'))
    process.env.CLUSTERDESK_HOME = this.home // the connected child inherits it
  },
  figures({ sizes }) {
    const figures = [
      { id: 'start.in-process', group: 'start', label: `start ${ENGINES} local engines`, who: 'in-process', unit: 'ms', better: 'lower', goals: [{ op: '<=', value: 300 }], compare: COMPARE.start },
      { id: 'stop.in-process', group: 'stop', label: `stop ${ENGINES} local engines`, who: 'in-process', unit: 'ms', better: 'lower', goals: [{ op: '<=', value: 200 }], compare: COMPARE.stop },
    ]
    for (const f of perClient(sizes)) {
      for (const who of ['in-process', 'connected']) {
        figures.push({ id: `${f.key}.${who}`, group: f.key, label: f.label, who, unit: f.unit, better: f.better, goals: f.goals[who] ?? [], compare: COMPARE[f.key] })
      }
    }
    return figures
  },
  async repetition({ sizes }) {
    const values = {}
    const plain = new Cluster({ nodes: [{ kind: 'local', engines: ENGINES }] })
    try {
      values['start.in-process'] = await timed(() => plain.start())
    } finally {
      values['stop.in-process'] = await timed(() => plain.stop())
    }
    const published = new Cluster({ nodes: [{ kind: 'local', engines: ENGINES }], profile: PROFILE })
    const own = await published.start()
    try {
      const inProcess = await clientFigures(own, sizes)
      const connected = JSON.parse(await runConnected(sizes))
      for (const [who, figures] of [['in-process', inProcess], ['connected', connected]]) {
        for (const [key, value] of Object.entries(figures)) values[`${key}.${who}`] = value
      }
    } finally {
      await published.stop()
    }
    return values
  },
  async teardown() {
    if (this.home) rmSync(this.home, { recursive: true, force: true })
  },
}

/** The connected client's figures, from a child process; async, since this process is the controller. */
function runConnected(sizes) {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [clientScript, PROFILE, JSON.stringify(sizes)], { env: process.env, maxBuffer: 1 << 20 }, (err, stdout, stderr) =>
      err ? reject(new Error(`the connected client failed: ${err.message}\n${stderr}`)) : resolve(stdout),
    )
  })
}
