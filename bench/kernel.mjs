#!/usr/bin/env node
/**
 * Samples per second of the π kernels on one thread (no cluster):
 *   seeded       the experiment's xoshiro128** kernel, branch-free hit test (what engines run)
 *   xoshiro-if   the same loop with `if (x*x + y*y <= 1) inside++` instead
 *   math-random  a plain Math.random loop (the lecture's kernel)
 *
 * Usage: node bench/kernel.mjs [--samples 5e7] [--rounds 5]
 * The kernels are read from src-main/experiments/pi/kernels.ts (compiled with esbuild), so this
 * measures the very source the engines receive. Rounds are interleaved and the best and the
 * median are shown: the best is the machine's speed, the median shows how noisy it was.
 */
import { availableParallelism, cpus } from 'node:os'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'

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

const variants = [
  { name: 'seeded (branch-free)', fn: kernels.piChunk },
  { name: 'xoshiro with `if`', fn: new Function(`return (${ifSource})`)() },
  { name: 'Math.random loop', fn: kernels.piChunkMathRandom },
]

for (const v of variants) {
  v.fn(1, 0, 1e6) // warm up: let the optimising compiler see the loop before timing it
  v.rates = []
  v.hits = null
}
for (let round = 0; round < rounds; round++) {
  for (const v of variants) {
    const start = performance.now()
    const hits = v.fn(42, round, samples)
    const ms = performance.now() - start
    v.rates.push(samples / ms / 1e3)
    v.pi = (4 * hits) / samples
  }
}

const best = (v) => Math.max(...v.rates)
const median = (v) => [...v.rates].sort((a, b) => a - b)[Math.floor(v.rates.length / 2)]
const reference = best(variants[0])
console.log(`π kernel, one thread: ${samples.toExponential(0)} samples × ${rounds} rounds, ${process.version}, ` + `${cpus()[0]?.model ?? 'unknown CPU'} (${availableParallelism()} cores)`)
console.log(`${'kernel'.padEnd(22)}${'best M/s'.padStart(10)}${'median M/s'.padStart(12)}${'vs seeded'.padStart(11)}${'last π'.padStart(12)}`)
for (const v of variants) {
  console.log(
    `${v.name.padEnd(22)}${best(v).toFixed(1).padStart(10)}${median(v).toFixed(1).padStart(12)}` +
      `${(best(v) / reference).toFixed(2).padStart(10)}×${v.pi.toFixed(5).padStart(12)}`,
  )
}

/** Compiles kernels.ts in memory and imports it. */
async function loadKernels() {
  const entry = fileURLToPath(new URL('../src-main/experiments/pi/kernels.ts', import.meta.url))
  const out = await build({ entryPoints: [entry], bundle: true, write: false, format: 'esm', platform: 'node', target: 'node20', logLevel: 'silent' })
  const code = out.outputFiles[0].text
  return import(`data:text/javascript;base64,${Buffer.from(code).toString('base64')}`)
}
