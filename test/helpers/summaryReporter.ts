import type { Reporter, SerializedError, TestModule, Vitest } from 'vitest/node'

/**
 * Ends every run with one machine-readable line, `Tests: N passed, M failed`
 * (plus `, K skipped` when there are any), which CI judges the run by. Used
 * next to the 'default' reporter, which still prints the details.
 *
 * A test file that fails to load and an error thrown outside any test count
 * as one failure each: neither produces a failed test, yet either must fail
 * the run. Tests that passed only on a retry (CI retries once) are named
 * before that line, so a flaky test is seen, not hidden.
 */
export default class SummaryReporter implements Reporter {
  private vitest: Vitest | undefined

  onInit(vitest: Vitest): void {
    this.vitest = vitest
  }

  onTestRunEnd(testModules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<SerializedError>): void {
    let passed = 0
    let failed = unhandledErrors.length
    let skipped = 0
    const retried: string[] = []
    for (const testModule of testModules) {
      if (testModule.errors().length > 0) failed++
      for (const test of testModule.children.allTests()) {
        const { state } = test.result()
        if (state === 'passed' && (test.diagnostic()?.retryCount ?? 0) > 0) retried.push(`${testModule.moduleId}: ${test.fullName}`)
        if (state === 'passed') passed++
        else if (state === 'failed') failed++
        else if (state === 'skipped') skipped++
      }
    }
    const line = `Tests: ${passed} passed, ${failed} failed${skipped > 0 ? `, ${skipped} skipped` : ''}`
    const log = (text: string): void => (this.vitest ? this.vitest.logger.log(text) : console.log(text))
    for (const name of retried) log(`passed only when retried (flaky): ${name}`)
    log(line)
  }
}
