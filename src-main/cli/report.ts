/** The human-readable π reports: one run, and the comparison table of `--all-modes`. */
import type { PiResult } from '../experiments/pi/runPi'
import { isReproducible } from '../experiments/pi/types'

const count = (n: number): string => n.toLocaleString('en')
const fixed = (n: number, digits: number): string => n.toFixed(digits)

/** `312.4 M`, `1.52 G`, `950 k`: samples per second at a glance. */
export function rate(perSec: number): string {
  if (perSec >= 1e9) return `${fixed(perSec / 1e9, 2)} G`
  if (perSec >= 1e6) return `${fixed(perSec / 1e6, 1)} M`
  if (perSec >= 1e3) return `${fixed(perSec / 1e3, 1)} k`
  return fixed(perSec, 0)
}

const signed = (n: number): string => `${n >= 0 ? '+' : '−'}${Math.abs(n).toExponential(2)}`

/** Right-aligns every column but the first; rows are arrays of cells. */
export function table(rows: string[][]): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)))
  return rows.map((r) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ').trimEnd()).join('\n')
}

/** `label  value` lines, labels padded to one width and indented. */
function pairs(rows: Array<[string, string]>): string {
  const width = Math.max(...rows.map(([label]) => label.length))
  return rows.map(([label, value]) => `  ${label.padEnd(width)}  ${value}`).join('\n')
}

function engineTable(r: PiResult): string {
  const rows = [['engine', 'tasks', 'samples', 'hits', 'busy ms', 'busy %']]
  for (const e of r.perEngine) {
    const busy = r.wallMs > 0 ? (100 * e.busyMs) / r.wallMs : 0
    rows.push([String(e.engineId), count(e.tasks), count(e.samples), count(e.hits), fixed(e.busyMs, 0), `${fixed(busy, 0)} %`])
  }
  return table(rows)
}

/** The report of one run. */
export function formatReport(r: PiResult): string {
  const error = r.pi - Math.PI
  const inErrors = r.stdError > 0 ? ` (${fixed(Math.abs(error) / r.stdError, 2)} standard errors)` : ''
  const seed = isReproducible(r.kernel) ? `, seed ${r.seed}` : ' (not reproducible)'
  const lines = [
    `π ≈ ${fixed(r.pi, 8)}   mode ${r.mode}, kernel ${r.kernel}${seed}`,
    '',
    pairs([
      ['error vs Math.PI', `${signed(error)}${inErrors}`],
      ['hits', `${count(r.hits)} of ${count(r.samples)} samples in ${count(r.tasks)} tasks`],
      ['standard error', r.stdError.toExponential(2)],
      ['wall time', `${fixed(r.wallMs, 1)} ms`],
      ['samples/s', rate(r.samplesPerSec)],
      ['speedup', `${fixed(r.speedup, 2)} on ${r.engines} engine${r.engines === 1 ? '' : 's'} (engines' CPU time / wall time)`],
      ['efficiency', `${fixed(100 * r.efficiency, 1)} % (speedup / engines)`],
    ]),
    '',
    engineTable(r),
  ]
  if (r.mode === 'lb-apply' && r.engines > 1) {
    lines.push(
      '',
      `lb-apply sends ONE task: one engine computed one share (${r.tasks} of ${r.requestedTasks} chunks, ` +
        `${r.samples} of ${r.requestedSamples} samples) while the others waited: the lecture's pitfall.`,
    )
  }
  return lines.join('\n')
}

/** The `--all-modes` comparison: one row per mode, and whether the hits agree. */
export function formatComparison(results: PiResult[]): string {
  const rows = [['mode', 'π', 'hits', 'wall ms', 'samples/s', 'speedup', 'efficiency', 'engines used']]
  for (const r of results) {
    const used = r.perEngine.filter((e) => e.tasks > 0).length
    rows.push([r.mode, fixed(r.pi, 8), count(r.hits), fixed(r.wallMs, 1), rate(r.samplesPerSec), fixed(r.speedup, 2), `${fixed(100 * r.efficiency, 1)} %`, `${used} of ${r.engines}`])
  }
  const first = results.find((r) => r.mode !== 'lb-apply') ?? results[0]
  const header = `π by every mode: ${count(first.requestedSamples)} samples in ${count(first.requestedTasks)} tasks on ${first.engines} engine${first.engines === 1 ? '' : 's'}, kernel ${first.kernel}${isReproducible(first.kernel) ? `, seed ${first.seed}` : ''}`
  // lb-apply draws one share only (the pitfall), so it is left out of the comparison.
  const same = results.every((r) => r.mode === 'lb-apply' || r.hits === first.hits)
  const verdict =
    isReproducible(first.kernel)
      ? same
        ? `Every mode that covers all chunks gave the same hits, as the ${first.kernel} kernel guarantees (lb-apply drew one share only).`
        : `The modes gave DIFFERENT hits: this is a bug, the ${first.kernel} kernel must give the same hits in every mode.`
      : 'The math-random kernel is not reproducible, so the hits differ from mode to mode.'
  return [header, '', table(rows), '', verdict].join('\n')
}
