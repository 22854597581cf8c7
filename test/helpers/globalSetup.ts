/**
 * Builds what the integration and end-to-end tests run — the agent/engine bundle, dist/ and the
 * renderer in out/ — once per test run, so they always test the current source.
 */
import { execFileSync } from 'node:child_process'

export default function setup(): void {
  execFileSync(process.execPath, ['scripts/build-lib.mjs', '--no-types'], { stdio: 'inherit' })
  execFileSync(process.execPath, ['node_modules/electron-vite/bin/electron-vite.js', 'build', '--logLevel', 'warn'], { stdio: 'inherit' })
}
