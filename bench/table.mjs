// The report of bench/harness.mjs as one table: a line per figure group, a row per client or
// reference under it, each with min / median / max over the repetitions, its goals (judged on
// the median) and its ratios to the references (of medians; > 1 means clusterdesk is better).
import { format } from './harness.mjs'

const W = { n: 10, unit: 8 }

export function renderTable(report) {
  const lines = []
  const q = report.quick ? ', --quick: sizes too small to mean anything' : ''
  lines.push(`clusterdesk bench ${report.date}: ${report.runs} runs${q}; ${report.node}, ${report.cpu}; load average ${report.loadAverage.start.toFixed(1)} → ${report.loadAverage.end.toFixed(1)} (1 min)`)
  for (const [name, info] of Object.entries(report.info)) lines.push(`${name}: ${Object.entries(info).map(([k, v]) => `${k} ${v}`).join(', ')}`)
  const goalText = (f) => f.goals.map((g) => `${g.text}${g.basis === 'same run' ? ` (${format(g.threshold)})` : g.basis === 'DESIGN' || g.threshold == null ? '' : ` [${format(g.threshold)}: ${g.basis}]`}: ${verdict(g.met)}`).join('; ')
  W.who = Math.max(24, ...report.figures.map((f) => f.who.length + 4))
  W.goal = Math.max(22, ...report.figures.map((f) => goalText(f).length + 2))
  lines.push('')
  lines.push(
    `${'figure / measured by'.padEnd(W.who)}${'min'.padStart(W.n)}${'median'.padStart(W.n)}${'max'.padStart(W.n)}  ${'unit'.padEnd(W.unit)}${'goal (on the median)'.padEnd(W.goal)}ratio of medians (>1: clusterdesk better)`,
  )
  const groups = new Map()
  for (const f of report.figures) {
    if (!groups.has(f.group)) groups.set(f.group, [])
    groups.get(f.group).push(f)
  }
  for (const rows of groups.values()) {
    lines.push(rows[0].label)
    for (const f of rows) {
      const goals = goalText(f)
      const ratios = f.ratios.map((r) => `${r.value < 10 ? r.value.toFixed(2) : format(r.value)}× ${r.name}`).join(', ')
      lines.push(
        `  ${f.who.padEnd(W.who - 2)}${format(f.min).padStart(W.n)}${format(f.median).padStart(W.n)}${format(f.max).padStart(W.n)}  ${f.unit.padEnd(W.unit)}${goals.padEnd(W.goal)}${ratios}`.trimEnd(),
      )
    }
  }
  const met = report.figures.flatMap((f) => f.goals).filter((g) => g.met !== null)
  lines.push('')
  lines.push(`goals met: ${met.filter((g) => g.met).length} of ${met.length}`)
  for (const s of report.skipped) lines.push(`skipped ${s.name}: ${s.reason}`)
  for (const s of report.failed) lines.push(`FAILED ${s.name}: ${s.reason}`)
  return lines.join('\n')
}

const verdict = (met) => (met === null ? 'n/a' : met ? 'met' : 'NOT MET')
