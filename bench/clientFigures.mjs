// The figures `npm run bench` measures through one client of a cluster, in-process or connected.
// Run as a script (`node bench/clientFigures.mjs PROFILE`), it connects to that profile from its own
// process, as a notebook or script would, and prints the figures as JSON.
import { performance } from 'node:perf_hooks'
import { connect, runPi } from '../dist/index.js'

const round = (x, d = 3) => Number(x.toFixed(d))

async function timed(fn) {
  const t = performance.now()
  await fn()
  return performance.now() - t
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)]
}

export /** The figures measured through one client (in-process or connected) of the same cluster. */
async function clientFigures(client) {
  const one = client.view(0)
  const dv = client.view()
  const lv = client.loadBalancedView()
  for (let i = 0; i < 200; i++) await one.apply(() => 0)
  const n = 2000
  const seq = await timed(async () => {
    for (let i = 0; i < n; i++) await one.apply(() => 0)
  })
  const tasks = 20000
  await Promise.all(Array.from({ length: 2000 }, () => lv.apply(() => 0)))
  const lbTime = await timed(() => Promise.all(Array.from({ length: tasks }, () => lv.apply(() => 0))))
  const big = new Float64Array(10_000_000).map((_, i) => i)
  await dv.scatter('a', big)
  const scatterTimes = []
  const gatherTimes = []
  for (let i = 0; i < 3; i++) {
    scatterTimes.push(await timed(() => dv.scatter('a', big)))
    gatherTimes.push(await timed(() => dv.gather('a')))
  }
  await dv.execute('a = null')
  const pi = await runPi(client, { samples: 1e8, tasks: 16, mode: 'lb-map', kernel: 'seeded', seed: 42 })
  return {
    applyMs: round(seq / n),
    lbPerS: Math.round(tasks / (lbTime / 1000)),
    scatterMBs: round(big.byteLength / 1e6 / (median(scatterTimes) / 1000), 0),
    gatherMBs: round(big.byteLength / 1e6 / (median(gatherTimes) / 1000), 0),
    piPerS: Math.round(pi.samplesPerSec),
    piHits: pi.hits,
  }
}


if (process.argv[2]) {
  const rc = await connect({ profile: process.argv[2] })
  try {
    console.log(JSON.stringify(await clientFigures(rc)))
  } finally {
    await rc.close()
  }
}
