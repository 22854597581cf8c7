// The bench's suites, in the order each repetition runs them: the one place to list a new bench
// module. A suite is an object with
//   name                      shown when it is skipped or fails
//   setup?(options)           → a reason to skip the suite (string), or undefined to run it
//   repetition(options, i)    → { figureId: value } for repetition i (0-based) of options.runs
//   figures(options)          → the figure declarations, after the repetitions:
//                               { id, group, label?, who, unit, better: 'lower'|'higher',
//                                 goals: [{ op: '<='|'>=', value } | { op, times, of: figureId, ofName, fallback? }],
//                                 compare: [figureId] }   (rows of one group share the group's label)
//   skipped?                  [{ name, reason }] of parts it left out (set by setup)
//   info?                     versions etc., copied into the report
//   teardown?()               always called, also after a failure
// options: { runs, quick, json, python, sizes } (bench/options.mjs).
import { cReference } from './suites/c.mjs'
import { clusterdesk } from './suites/clusterdesk.mjs'
import { pythonSuite } from './suites/python.mjs'

/** The suites of a run with these options. */
export function benchSuites(options) {
  return [clusterdesk, cReference, ...(options.python ? [pythonSuite()] : [])]
}
