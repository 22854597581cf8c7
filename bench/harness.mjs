// Runs the suites' repetitions interleaved (repetition 1 of every suite, then 2, …) so that they
// share the machine's load, and turns the samples into the report: min / median / max per figure,
// its goals met or not (judged on the median), and its ratios to the references of the same run.
import { availableParallelism, cpus, loadavg } from 'node:os'
import { summarize } from './stats.mjs'

const round = (x) => (x == null ? x : Number(x.toPrecision(6)))
const REFERENCE_NAMES = { ipyparallel: 'ipyparallel', multiprocessing: 'multiprocessing', c: 'C' }

/** The report of one bench run (the object `--json` prints). `log` gets progress lines. */
export async function runBench(options, suites, log = () => {}) {
  const started = new Date()
  const load = [loadavg()[0]]
  const skipped = []
  const failed = []
  const active = []
  for (const suite of suites) {
    let reason
    try {
      reason = await suite.setup?.(options)
    } catch (err) {
      reason = `setup failed: ${err.message}`
    }
    if (reason) skipped.push({ name: suite.name, reason })
    else active.push(suite)
    skipped.push(...(suite.skipped ?? []))
  }
  const samples = new Map()
  try {
    for (let i = 0; i < options.runs; i++) {
      for (const suite of active.filter((s) => !failed.some((f) => f.name === s.name))) {
        log(`repetition ${i + 1}/${options.runs}: ${suite.name}`)
        try {
          for (const [id, value] of Object.entries(await suite.repetition(options, i))) {
            if (!samples.has(id)) samples.set(id, [])
            samples.get(id).push(value)
          }
        } catch (err) {
          failed.push({ name: suite.name, reason: err.message })
          log(`${suite.name} failed: ${err.message}`)
        }
      }
    }
  } finally {
    for (const suite of suites) await suite.teardown?.()
  }
  load.push(loadavg()[0])

  const figures = []
  const labels = new Map()
  for (const suite of active) {
    for (const f of suite.figures(options)) {
      if (f.label && !labels.has(f.group)) labels.set(f.group, f.label)
      const xs = samples.get(f.id) ?? []
      figures.push({ ...f, samples: xs.map(round), ...mapValues(summarize(xs), round) })
    }
  }
  const byId = new Map(figures.map((f) => [f.id, f]))
  for (const f of figures) {
    f.label = labels.get(f.group) ?? f.group
    f.goals = f.goals.map((goal) => judge(f, goal, byId))
    f.ratios = f.compare.flatMap((id) => {
      const ref = byId.get(id)
      if (ref?.median == null || f.median == null) return []
      const value = f.better === 'lower' ? ref.median / f.median : f.median / ref.median
      return [{ of: id, name: REFERENCE_NAMES[id.split('.').pop()] ?? id, value: round(value) }]
    })
    delete f.compare
  }
  return {
    date: started.toISOString(),
    seconds: round((Date.now() - started.getTime()) / 1000),
    node: process.version,
    cpu: `${cpus()[0]?.model ?? 'unknown CPU'} (${availableParallelism()} cores)`,
    loadAverage: { start: round(load[0]), end: round(load[1]) },
    runs: options.runs,
    quick: options.quick,
    sizes: options.sizes,
    info: Object.fromEntries(active.filter((s) => s.info).map((s) => [s.name, s.info])),
    skipped,
    failed,
    figures,
  }
}

/** A goal with its threshold resolved (same-run reference, else its fallback) and met on the median. */
function judge(figure, goal, byId) {
  let threshold = goal.value
  let basis = 'DESIGN'
  const op = goal.op === '<=' ? '≤' : '≥'
  let text = `${op} ${format(goal.value)} ${figure.unit}`
  if (goal.of) {
    const ref = byId.get(goal.of)
    text = `${op} ${goal.times}× ${goal.ofName}`
    if (ref?.median != null) {
      threshold = goal.times * ref.median
      basis = 'same run'
    } else {
      threshold = goal.fallback ?? null
      basis = threshold == null ? `no ${goal.ofName} in this run` : `DESIGN's figure, no ${goal.ofName} in this run`
    }
  }
  const met = threshold == null || figure.median == null ? null : goal.op === '<=' ? figure.median <= threshold : figure.median >= threshold
  return { text, op: goal.op, threshold: round(threshold), basis, met }
}

const mapValues = (o, fn) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, fn(v)]))

/** A figure for the table: 3 significant digits, thousands separated. */
export function format(x) {
  if (x == null) return '—'
  const a = Math.abs(x)
  if (a >= 100) return Math.round(x).toLocaleString('en')
  if (a >= 10) return x.toFixed(1)
  if (a >= 1) return x.toFixed(2)
  return x.toFixed(3)
}
