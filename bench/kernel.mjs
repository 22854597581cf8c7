#!/usr/bin/env node
/**
 * Samples per second of the π kernels on one thread (no cluster), and of the C references:
 *   seeded         the experiment's xoshiro128** kernel, branch-free hit test (what engines run)
 *   xoshiro-if     the same loop with `if (x*x + y*y <= 1) inside++` instead
 *   math-random    a plain Math.random loop (the lecture's kernel)
 *   simd (wasm)    kernel `simd`: 16 xoshiro128** streams, WebAssembly SIMD
 *   simd (js)      the same kernel on its plain-JS path (where WebAssembly SIMD is missing)
 *   C scalar       bench/c/pi.c, one stream (= seeded's hits), when `cc` exists
 *   C 16 streams   bench/c/pi.c, 16 streams the compiler vectorises (= simd's hits)
 *   C 16, SSE2     the same compiled with plain `-O3`: x86-64's baseline, 128-bit vectors like
 *                  WebAssembly SIMD's, but no 32-bit vector multiply (pmulld is SSE4.1)
 *   C 16, SSE4.2   the same with `-O3 -march=x86-64-v2`: 128-bit vectors with the instructions
 *                  WebAssembly SIMD maps to (no AVX, no vector rotate, no unsigned-to-double)
 * The C is compiled here with `cc -O3 -march=native` (and the two 128-bit baselines); its hits
 * are checked against the JS kernels'. The goal (≥ 0.5x the vectorised C) is against -march=native.
 *
 * Usage: node bench/kernel.mjs [--samples 5e7] [--rounds 5] [--engines]
 * (npm run bench has C's 16 streams on 2 processes beside the π of 2 engines; this is one thread.)
 * --engines also runs `runPi` on 1 and 2 local engines (kernels seeded and simd, lb-map, 32 tasks,
 * 2e9 samples; needs `npm run build:lib`), so the cluster's figures sit beside C's of the same run.
 *
 * The kernels are read from src-main/experiments/pi/ (compiled with esbuild), so this measures
 * the very source the engines receive. Rounds are interleaved; the best and the median are shown:
 * the best is the machine's speed, the median shows how noisy it was. One-thread rates are per
 * CPU-second of this process (process.cpuUsage; C: CLOCK_PROCESS_CPUTIME_ID), which on an idle
 * machine is the wall-clock rate and on a shared one leaves out the time others had the core.
 */
import { availableParallelism, cpus } from 'node:os'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'
import { compilePi, runPiC } from './cPi.mjs'

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`)
  const value = i > 0 ? Number(process.argv[i + 1]) : fallback
  if (!Number.isInteger(value) || value < 1) {
    console.error(`bench/kernel.mjs: --${name} must be a whole number ≥ 1, got ${process.argv[i + 1]}`)
    process.exit(2)
  }
  return value
}
const samples = arg('samples', 5e7)
const rounds = arg('rounds', 5)

const kernels = await loadKernels()
const seededSource = kernels.piChunk.toString()
const branchy = 'if (x * x + y * y <= 1) inside++'
const ifSource = seededSource.replace(/inside \+= \(?x \* x \+ y \* y <= 1\)? \| 0;?/, branchy)
if (!ifSource.includes(branchy)) throw new Error('could not derive the `if` variant: the hit test of piChunk changed shape')

/** The simd kernel with the engine's cache saying "no WebAssembly SIMD": its JS path. */
const simdJs = (seed, index, n) => {
  const kept = globalThis.__clusterdeskPiSimd
  globalThis.__clusterdeskPiSimd = null
  try {
    return kernels.piChunkSimd(seed, index, n)
  } finally {
    globalThis.__clusterdeskPiSimd = kept
  }
}

const variants = [
  { name: 'seeded (branch-free)', fn: kernels.piChunk },
  { name: 'xoshiro with `if`', fn: new Function(`return (${ifSource})`)() },
  { name: 'Math.random loop', fn: kernels.piChunkMathRandom },
  { name: 'simd (WebAssembly)', fn: kernels.piChunkSimd },
  { name: 'simd (JS path)', fn: simdJs },
]

for (const v of variants) {
  v.fn(1, 0, 1e6) // warm up: let the optimising compiler see the loop before timing it
  v.rates = []
}
if (!globalThis.__clusterdeskPiSimd) console.log('note: no WebAssembly SIMD here, so "simd (WebAssembly)" ran the JS path')
for (let round = 0; round < rounds; round++) {
  for (const v of variants) {
    const start = process.cpuUsage()
    const hits = v.fn(42, round, samples)
    const used = process.cpuUsage(start)
    v.rates.push(samples / ((used.user + used.system) / 1e3) / 1e3)
    v.pi = (4 * hits) / samples
  }
}
variants.push(...cReferences())

const best = (v) => Math.max(...v.rates)
const median = (v) => [...v.rates].sort((a, b) => a - b)[Math.floor(v.rates.length / 2)]
const reference = best(variants[0])
console.log(`π kernel, one thread: ${samples.toExponential(0)} samples × ${rounds} rounds, ${process.version}, ` + `${cpus()[0]?.model ?? 'unknown CPU'} (${availableParallelism()} cores)`)
console.log(`${'kernel'.padEnd(22)}${'best M/s'.padStart(10)}${'median M/s'.padStart(12)}${'vs seeded'.padStart(11)}${'last π'.padStart(12)}`)
for (const v of variants) {
  console.log(
    `${v.name.padEnd(22)}${best(v).toFixed(1).padStart(10)}${median(v).toFixed(1).padStart(12)}` +
      `${(best(v) / reference).toFixed(2).padStart(10)}×${v.pi.toFixed(5).padStart(12)}${v.note ? `  ${v.note}` : ''}`,
  )
}
if (process.argv.includes('--engines')) await onEngines()

/** Compiles the kernels in memory and imports them. */
async function loadKernels() {
  const entry = fileURLToPath(new URL('../src-main/experiments/pi/kernels.ts', import.meta.url))
  const out = await build({ entryPoints: [entry], bundle: true, write: false, format: 'esm', platform: 'node', target: 'node20', logLevel: 'silent' })
  const code = out.outputFiles[0].text
  return import(`data:text/javascript;base64,${Buffer.from(code).toString('base64')}`)
}

/** bench/c/pi.c compiled and run on the same chunk as round 0 … rounds-1 above; none without cc. */
function cReferences() {
  const rows = [
    { flags: ['-O3', '-march=native'], runs: [['C scalar', 'scalar', kernels.piChunk], ['C 16 streams', 'streams16', kernels.piChunkSimd]] },
    { flags: ['-O3'], runs: [['C 16, SSE2 (-O3)', 'streams16', kernels.piChunkSimd]] },
    { flags: ['-O3', '-march=x86-64-v2'], runs: [['C 16, SSE4.2', 'streams16', kernels.piChunkSimd]] },
  ]
  return rows.flatMap(({ flags, runs }) => {
    const compiled = compilePi(flags)
    if (compiled.error) {
      console.log(`note: no C reference (${compiled.error})`)
      return []
    }
    try {
      return runs.map(([name, variant, same]) => {
        const { hits, rates } = runPiC(compiled.binary, variant, 42, 0, samples, rounds)
        const agree = hits === same(42, 0, samples)
        return { name, rates, pi: (4 * hits) / samples, note: agree ? 'hits = the JS kernel\'s' : 'HITS DIFFER from the JS kernel\'s' }
      })
    } finally {
      compiled.remove()
    }
  })
}

/**
 * runPi on 1 and 2 local engines, wall clock, best and median of three runs per kernel; and the
 * samples each engine drew per CPU-second it was given (best run), which on a busy machine says
 * what the engines do when they have a core each.
 */
async function onEngines() {
  const { Cluster, runPi } = await import('../dist/index.js')
  const options = { samples: 2e9, tasks: 32, mode: 'lb-map', seed: 42 }
  console.log(`\nπ on local engines: ${options.samples.toExponential(0)} samples, ${options.tasks} tasks, ${options.mode}, wall clock (3 runs each)`)
  console.log(`${'engines × kernel'.padEnd(22)}${'best M/s'.padStart(10)}${'median M/s'.padStart(12)}${'speedup'.padStart(10)}${'M/s per engine CPU-s'.padStart(23)}`)
  for (const engines of [1, 2]) {
    const cluster = new Cluster({ nodes: [{ kind: 'local', engines }] })
    const rc = await cluster.start()
    try {
      for (const kernel of ['seeded', 'simd']) {
        await runPi(rc, { ...options, samples: 1e8, kernel }) // warm the engines up
        const runs = []
        for (let i = 0; i < 3; i++) runs.push(await runPi(rc, { ...options, kernel }))
        const rates = runs.map((r) => r.samplesPerSec / 1e6)
        const v = { rates }
        // What each engine draws per second of CPU it got: the wall rate with a core per engine.
        const perCpu = Math.max(...runs.map((r) => r.samples / r.perEngine.reduce((a, e) => a + e.cpuMs, 0) / 1e3))
        console.log(
          `${`${engines} × ${kernel}`.padEnd(22)}${best(v).toFixed(1).padStart(10)}${median(v).toFixed(1).padStart(12)}` +
            `${Math.max(...runs.map((r) => r.speedup)).toFixed(2).padStart(10)}${perCpu.toFixed(1).padStart(23)}`,
        )
      }
    } finally {
      await cluster.stop()
    }
  }
}
