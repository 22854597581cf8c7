#!/usr/bin/env node
// clusterdesk benchmarks (npm run bench): the figures DESIGN's performance section asks for,
// measured on the built library (dist/) with 2 local engines, in-process and connected, beside
// C, ipyparallel and multiprocessing measured in the same run. One table, or with --json one
// object; every figure is min / median / max over --runs repetitions. See bench/README.md.
import { runBench } from './harness.mjs'
import { parseOptions, USAGE, UsageError } from './options.mjs'
import { benchSuites } from './suites.mjs'
import { renderTable } from './table.mjs'

let options
try {
  options = parseOptions(process.argv.slice(2))
} catch (err) {
  if (!(err instanceof UsageError)) throw err
  console.error(err.message)
  process.exit(2)
}
if (options.help) {
  console.log(USAGE)
  process.exit(0)
}
const report = await runBench(options, benchSuites(options), (line) => console.error(`bench: ${line}`))
console.log(options.json ? JSON.stringify(report, null, 2) : renderTable(report))
if (report.failed.length > 0) process.exitCode = 1
