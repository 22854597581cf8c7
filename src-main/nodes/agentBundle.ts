import { existsSync, readFileSync } from 'node:fs'
import { dirname, join, sep } from 'node:path'
import { fileURLToPath } from 'node:url'

/** Raised when the built agent/engine bundle is missing (a source checkout that was not built). */
export class AgentBundleMissingError extends Error {
  override name = 'AgentBundleMissingError'
}

let cached: string | null = null

/**
 * In the packaged desktop app the package root is inside app.asar, and electron-builder's
 * asarUnpack puts the bundle beside it as a real file, which the engine processes can run.
 */
export function unpacked(bundle: string): string {
  const outside = bundle.replace(`app.asar${sep}`, `app.asar.unpacked${sep}`)
  return outside !== bundle && existsSync(outside) ? outside : bundle
}

/** Path of `resources/agent.cjs`, the one file every node runs (found from the package root). */
export function agentBundlePath(): string {
  if (cached && existsSync(cached)) return cached
  let dir = dirname(fileURLToPath(import.meta.url))
  for (;;) {
    const pkg = join(dir, 'package.json')
    if (existsSync(pkg) && JSON.parse(readFileSync(pkg, 'utf8')).name === 'clusterdesk') {
      const bundle = unpacked(join(dir, 'resources', 'agent.cjs'))
      if (!existsSync(bundle)) {
        throw new AgentBundleMissingError(`the engine bundle ${bundle} is missing; in a source checkout, build it with \`npm run build:lib\``)
      }
      cached = bundle
      return bundle
    }
    const parent = dirname(dir)
    if (parent === dir) throw new AgentBundleMissingError('cannot find the clusterdesk package root (and its resources/agent.cjs) above ' + fileURLToPath(import.meta.url))
    dir = parent
  }
}
