// bench/c/pi.c, the C references of the π kernels: compiled here with `cc -O3 -march=native`
// (bench/kernel.mjs and the C suite of npm run bench both use it; bench/kernel.mjs also shows
// plain `-O3`, x86-64's baseline SSE2: the 128-bit vectors WebAssembly SIMD has).
import { execFile, execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { timed } from './stats.mjs'

const source = fileURLToPath(new URL('./c/pi.c', import.meta.url))

/**
 * { binary, remove() } of the compiled pi.c, or { error } saying why there is none (no cc).
 * `flags` are cc's optimisation flags, `-O3 -march=native` unless told otherwise.
 */
export function compilePi(flags = ['-O3', '-march=native']) {
  const dir = mkdtempSync(join(tmpdir(), 'clusterdesk-pi-c-'))
  const remove = () => rmSync(dir, { recursive: true, force: true })
  const binary = join(dir, 'pi')
  try {
    execFileSync('cc', [...flags, '-o', binary, source], { stdio: 'pipe' })
    return { binary, remove }
  } catch (err) {
    remove()
    return { error: `cc ${flags.join(' ')} failed: ${String(err.message).split('\n')[0]}` }
  }
}

/** One run of the binary: its hits, then the samples per CPU-second of each of `rounds` rounds (M/s). */
export function runPiC(binary, variant, seed, index, samples, rounds) {
  const [hits, ...rates] = execFileSync(binary, [variant, String(seed), String(index), String(samples), String(rounds)], { encoding: 'utf8' }).trim().split(' ').map(Number)
  return { hits, rates }
}

/**
 * M samples per wall-clock second of `threads` processes of the binary run at once, each drawing
 * samples / threads (chunk index = its number): what the kernel does with that many cores.
 */
export async function piCWallRate(binary, variant, samples, threads) {
  const each = Math.round(samples / threads)
  const one = (index) =>
    new Promise((resolve, reject) => {
      execFile(binary, [variant, '42', String(index), String(each), '0'], (err, stdout) => (err ? reject(err) : resolve(Number(stdout.trim()))))
    })
  const ms = await timed(() => Promise.all(Array.from({ length: threads }, (_, i) => one(i))))
  return (each * threads) / (ms / 1000) / 1e6
}
