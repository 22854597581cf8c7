/**
 * Builds what the integration tests run — the agent/engine bundle and dist/ — once per test run,
 * so they always test the current source.
 */
import { execFileSync } from 'node:child_process'

export default function setup(): void {
  execFileSync(process.execPath, ['scripts/build-lib.mjs', '--no-types'], { stdio: 'inherit' })
}
