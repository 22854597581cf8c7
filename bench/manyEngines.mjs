#!/usr/bin/env node
// Hundreds of engines (issue #11): load-balanced throughput with a few engines and with many, on
// real local engine processes, and what `rc.ids` / `rc.engines` cost with that many.
// Usage: node bench/manyEngines.mjs [--json]   (`npm run bench:many` builds dist/ first)
// BENCH_MANY_ENGINES (default 256) and BENCH_FEW_ENGINES (default 2) set the two counts; with
// several nodes (BENCH_MANY_NODES, default 1) the many engines are split between local nodes.
import { performance } from 'node:perf_hooks'
import { Cluster } from '../dist/index.js'

const json = process.argv.includes('--json')
const many = Number(process.env.BENCH_MANY_ENGINES ?? 256)
const few = Number(process.env.BENCH_FEW_ENGINES ?? 2)
const nodeCount = Number(process.env.BENCH_MANY_NODES ?? 1)
const results = []
const record = (name, value, unit, note = '') => {
  results.push({ name, value, unit, note })
  if (!json) console.log(`${name.padEnd(48)} ${String(value).padStart(12)} ${unit.padEnd(8)} ${note}`)
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
const round = (x, d = 3) => Number(x.toFixed(d))

async function timed(fn) {
  const t = performance.now()
  await fn()
  return performance.now() - t
}

function nodesFor(count) {
  const n = Math.min(nodeCount, count)
  return Array.from({ length: n }, (_, i) => ({ kind: 'local', engines: Math.floor(count / n) + (i < count % n ? 1 : 0) }))
}

/** lb apply throughput (median of 3 runs of `tasks`) on a cluster of `count` engines. */
async function measure(count) {
  const cluster = new Cluster({ nodes: nodesFor(count) })
  let rc
  const startMs = await timed(async () => {
    rc = await cluster.start()
  })
  try {
    const lv = rc.loadBalancedView()
    await Promise.all(Array.from({ length: 2000 }, () => lv.apply(() => 0)))
    const tasks = 20000
    const runs = []
    const cpu = []
    for (let i = 0; i < 3; i++) {
      const before = process.cpuUsage()
      runs.push(await timed(() => Promise.all(Array.from({ length: tasks }, () => lv.apply(() => 0)))))
      const used = process.cpuUsage(before)
      cpu.push((used.user + used.system) / tasks)
    }
    const perS = Math.round(tasks / (median(runs) / 1000))
    // The same on two of the engines: what the others' mere presence costs, apart from spreading.
    const two = rc.loadBalancedView([0, 1])
    const twoRuns = []
    for (let i = 0; i < 3; i++) twoRuns.push(await timed(() => Promise.all(Array.from({ length: tasks }, () => two.apply(() => 0)))))
    const twoPerS = Math.round(tasks / (median(twoRuns) / 1000))
    // Tasks that wait 50 ms each, right after the tiny ones: ten per engine, ideally 0.5 s.
    const slowMs = await timed(() => Promise.all(Array.from({ length: 10 * count }, () => lv.apply(async () => new Promise((r) => setTimeout(r, 50))))))
    const items = Array.from({ length: 50000 }, (_, i) => i)
    const mapMs = await timed(() => lv.map((x) => x, items, { chunkSize: 1 }))
    // The engine list, as a script or the GUI reads it.
    const reads = 2000
    const idsMs = await timed(async () => {
      for (let i = 0; i < reads; i++) if (rc.ids.length !== count) throw new Error('engines missing')
    })
    const enginesMs = await timed(async () => {
      for (let i = 0; i < reads; i++) if (rc.engines.length !== count) throw new Error('engines missing')
    })
    const stopMs = await timed(() => cluster.stop())
    return { startMs, perS, cpuUs: median(cpu), twoPerS, slowMs, mapPerS: Math.round(items.length / (mapMs / 1000)), idsUs: (idsMs / reads) * 1000, enginesUs: (enginesMs / reads) * 1000, stopMs }
  } finally {
    await cluster.stop()
  }
}

const a = await measure(few)
const b = await measure(many)
for (const [n, r] of [[few, a], [many, b]]) {
  record(`start ${n} local engines`, Math.round(r.startMs), 'ms')
  record(`lb apply throughput, ${n} engines (median of 3)`, r.perS, 'tasks/s')
  record(`lb apply, this process's CPU per task, ${n} engines`, round(r.cpuUs, 1), 'µs', '(median of 3)')
  if (n !== 2) record(`lb apply throughput, ${n} engines, view on 2`, r.twoPerS, 'tasks/s')
  record(`lb apply, ${10 * n} 50 ms tasks after tiny ones, ${n} engines`, Math.round(r.slowMs), 'ms', '(ideal 500 ms)')
  record(`lb map 50,000 one-item tasks, ${n} engines`, r.mapPerS, 'tasks/s')
  record(`rc.ids with ${n} engines`, round(r.idsUs, 1), 'µs')
  record(`rc.engines with ${n} engines`, round(r.enginesUs, 1), 'µs')
  record(`stop ${n} local engines`, Math.round(r.stopMs), 'ms')
}
record(`lb throughput ${many} vs ${few} engines`, round(b.perS / a.perS, 2), 'x', '(goal ≥ 0.8x)')
if (json) console.log(JSON.stringify(results, null, 2))
