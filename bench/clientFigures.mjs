// One repetition of the figures `npm run bench` measures through one client of a cluster,
// in-process or connected. Run as a script (`node bench/clientFigures.mjs PROFILE [SIZES_JSON]`),
// it connects to that profile from its own process, as a notebook or script would, and prints
// the figures as JSON.
import { pathToFileURL } from 'node:url'
import { connect, runPi } from '../dist/index.js'
import { SIZES } from './options.mjs'
import { median, timed } from './stats.mjs'

/**
 * The figures of one client (in-process or connected), each measured once after a warm-up:
 * apply ms, lb apply / lb map tasks/s, scatter / gather MB/s, π seeded / simd M samples/s.
 */
export async function clientFigures(client, sizes = SIZES.full) {
  const one = client.view(0)
  const dv = client.view()
  const lv = client.loadBalancedView()
  for (let i = 0; i < sizes.applyWarmup; i++) await one.apply(() => 0)
  const seq = await timed(async () => {
    for (let i = 0; i < sizes.applies; i++) await one.apply(() => 0)
  })

  await Promise.all(Array.from({ length: Math.min(2000, sizes.lbTasks) }, () => lv.apply(() => 0)))
  const lbTime = await timed(() => Promise.all(Array.from({ length: sizes.lbTasks }, () => lv.apply(() => 0))))
  const items = Array.from({ length: sizes.mapItems }, (_, i) => i)
  const mapTime = await timed(() => lv.map((x) => x, items, { chunkSize: 1 }))

  const big = new Float64Array(sizes.scatterLength).map((_, i) => i)
  await dv.scatter('a', big)
  // --data-runs: the median of that many (the first ones allocate on the engines, later ones reuse).
  const scatters = []
  for (let i = 0; i < (sizes.dataRuns ?? 1); i++) scatters.push(await timed(() => dv.scatter('a', big)))
  const gathers = []
  for (let i = 0; i < (sizes.dataRuns ?? 1); i++) {
    let gathered
    gathers.push(await timed(async () => {
      gathered = await dv.gather('a')
    }))
    if (gathered.length !== big.length || gathered[big.length - 1] !== big[big.length - 1]) throw new Error('gather returned other data than was scattered')
    gathered = null
  }
  const scatterMs = median(scatters)
  const gatherMs = median(gathers)
  await dv.execute('a = null')

  const pi = {}
  for (const kernel of ['seeded', 'simd']) {
    const options = { tasks: sizes.piTasks, mode: 'lb-map', kernel, seed: 42 }
    await runPi(client, { ...options, samples: sizes.piWarmup })
    pi[kernel] = (await runPi(client, { ...options, samples: sizes.piSamples })).samplesPerSec / 1e6
  }
  const mb = big.byteLength / 1e6
  return {
    apply: seq / sizes.applies,
    lbApply: sizes.lbTasks / (lbTime / 1000),
    lbMap: items.length / (mapTime / 1000),
    scatter: mb / (scatterMs / 1000),
    gather: mb / (gatherMs / 1000),
    piSeeded: pi.seeded,
    piSimd: pi.simd,
  }
}

// Only as a script: run.mjs imports this module, and its own argv (--json, …) is no profile.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  if (!process.argv[2]) throw new Error('usage: node bench/clientFigures.mjs PROFILE [SIZES_JSON]')
  const sizes = process.argv[3] ? JSON.parse(process.argv[3]) : SIZES.full
  const rc = await connect({ profile: process.argv[2] })
  try {
    console.log(JSON.stringify(await clientFigures(rc, sizes)))
  } finally {
    await rc.close()
  }
}
