#!/usr/bin/env node
// clusterdesk benchmarks (npm run bench): the figures DESIGN's performance section asks for,
// measured on the built library (dist/) with local engines. Prints a table; --json for raw data.
import { performance } from 'node:perf_hooks'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { Cluster } from '../dist/index.js'
import { clientFigures } from './clientFigures.mjs'

const json = process.argv.includes('--json')
const engines = Number(process.env.BENCH_ENGINES ?? 2)
const results = []
const record = (name, value, unit, target) => {
  results.push({ name, value, unit, target })
  if (!json) console.log(`${name.padEnd(44)} ${String(value).padStart(12)} ${unit.padEnd(10)} ${target ? `(goal ${target})` : ''}`)
}
const round = (x, d = 3) => Number(x.toFixed(d))

async function timed(fn) {
  const t = performance.now()
  await fn()
  return performance.now() - t
}

// Startup and shutdown of a local cluster.
{
  const starts = []
  const stops = []
  for (let i = 0; i < 3; i++) {
    const cluster = new Cluster({ nodes: [{ kind: 'local', engines }] })
    starts.push(await timed(() => cluster.start()))
    stops.push(await timed(() => cluster.stop()))
  }
  record(`start ${engines} local engines (median of 3)`, round(median(starts), 0), 'ms', '≤ 300 ms')
  record(`stop ${engines} local engines (median of 3)`, round(median(stops), 0), 'ms', '≤ 200 ms')
}

const cluster = new Cluster({ nodes: [{ kind: 'local', engines }] })
const rc = await cluster.start()
try {
  const one = rc.view(0)
  const dv = rc.view()
  const lv = rc.loadBalancedView()
  for (let i = 0; i < 200; i++) await one.apply(() => 0)

  const n = 2000
  const seq = await timed(async () => {
    for (let i = 0; i < n; i++) await one.apply(() => 0)
  })
  record('trivial apply round trip, sequential', round(seq / n), 'ms', '≤ 0.25 ms')

  const tasks = 20000
  const lbTime = await timed(() => Promise.all(Array.from({ length: tasks }, () => lv.apply(() => 0))))
  record(`load-balanced apply throughput (${tasks} tasks)`, Math.round(tasks / (lbTime / 1000)), 'tasks/s', '≥ 68,000 /s')

  const items = Array.from({ length: 100000 }, (_, i) => i)
  const mapTime = await timed(() => lv.map((x) => x, items, { chunkSize: 1 }))
  record(`lb map, 100,000 one-item tasks`, Math.round(items.length / (mapTime / 1000)), 'tasks/s', '≥ 68,000 /s')

  const big = new Float64Array(10_000_000).map((_, i) => i)
  const bytes = big.byteLength
  await dv.scatter('a', big)
  const scatterTimes = []
  const gatherTimes = []
  for (let i = 0; i < 3; i++) {
    scatterTimes.push(await timed(() => dv.scatter('a', big)))
    gatherTimes.push(await timed(() => dv.gather('a')))
  }
  record('scatter 80 MB Float64Array', round(bytes / 1e6 / (median(scatterTimes) / 1000), 0), 'MB/s', '≥ 1000 MB/s')
  record('gather 80 MB Float64Array', round(bytes / 1e6 / (median(gatherTimes) / 1000), 0), 'MB/s', '≥ 1000 MB/s')
  await dv.execute('a = null')
} finally {
  await cluster.stop()
}
// In-process and connected side by side: one cluster published under a profile (in a temporary
// CLUSTERDESK_HOME), measured through its own client and through a client that connect()s from
// another process, as a notebook would.
{
  const home = mkdtempSync(join(tmpdir(), 'clusterdesk-bench-'))
  process.env.CLUSTERDESK_HOME = home
  const published = new Cluster({ nodes: [{ kind: 'local', engines }], profile: 'bench' })
  const own = await published.start()
  const sideBySide = []
  try {
    sideBySide.push({ mode: 'in-process', ...(await clientFigures(own)) })
    const script = fileURLToPath(new URL('./clientFigures.mjs', import.meta.url))
    // Async: this process is the controller and must keep serving while the client runs.
    const out = await new Promise((resolve, reject) => {
      execFile(process.execPath, [script, 'bench'], { env: process.env, maxBuffer: 1 << 20 }, (err, stdout) => (err ? reject(err) : resolve(stdout)))
    })
    sideBySide.push({ mode: 'connected', ...JSON.parse(out) })
  } finally {
    await published.stop()
    rmSync(home, { recursive: true, force: true })
  }
  const rows = [
    ['trivial apply round trip', 'applyMs', 'ms', '≤ 0.25 / ≤ 0.4 ms'],
    ['lb apply throughput', 'lbPerS', 'tasks/s', '≥ 56,000 /s connected'],
    ['scatter 80 MB Float64Array', 'scatterMBs', 'MB/s', '≥ 1000 MB/s connected'],
    ['gather 80 MB Float64Array', 'gatherMBs', 'MB/s', '≥ 1000 MB/s connected'],
    [`π, 1e8 samples on ${engines} engines (lb-map)`, 'piPerS', 'samples/s', ''],
  ]
  if (!json) console.log(`\n${''.padEnd(44)} ${'in-process'.padStart(12)} ${'connected'.padStart(12)}`)
  for (const [name, key, unit, target] of rows) {
    const [a, b] = sideBySide.map((f) => f[key])
    for (const f of sideBySide) results.push({ name: `${name} (${f.mode})`, value: f[key], unit, target })
    if (!json) console.log(`${name.padEnd(44)} ${String(a).padStart(12)} ${String(b).padStart(12)} ${unit.padEnd(10)} ${target ? `(goal ${target})` : ''}`)
  }
}

if (json) console.log(JSON.stringify({ engines, node: process.version, results }, null, 2))

function median(xs) {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)]
}
