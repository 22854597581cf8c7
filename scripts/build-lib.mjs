#!/usr/bin/env node
// Builds what `import 'clusterdesk'` and `npx clusterdesk` run: the library and CLI bundles in
// dist/, the agent/engine bundle in resources/, and type declarations. `npm pack` runs it (through
// prepack) with --no-sourcemap; `npm start` and the tests with --no-types.
// Usage: node scripts/build-lib.mjs [--no-types] [--no-sourcemap]
import { execFileSync } from 'node:child_process'
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'
import { buildAgent } from './buildAgent.mjs'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'))
const external = [...Object.keys(pkg.dependencies ?? {}), ...Object.keys(pkg.optionalDependencies ?? {})]

const common = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  external,
  // The published package leaves them out: 800 kB for bundles that are readable as they are.
  sourcemap: !process.argv.includes('--no-sourcemap'),
  // Error classes keep their names (e.constructor.name, console.log(e)), not esbuild's _RemoteError.
  keepNames: true,
  logLevel: 'warning',
  define: { __CLUSTERDESK_VERSION__: JSON.stringify(pkg.version) },
}

/**
 * The sources import each other without extensions (bundler resolution), and tsc keeps those
 * specifiers in the .d.ts files; a project that resolves like Node (`moduleResolution: nodenext`)
 * then finds no types. Gives each relative specifier the `.js` (or `/index.js`) Node would load.
 */
function withExtensions(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const file = join(dir, entry.name)
    if (entry.isDirectory()) withExtensions(file)
    if (!entry.isFile() || !entry.name.endsWith('.d.ts')) continue
    const text = readFileSync(file, 'utf8')
    const fixed = text.replace(/((?:from\s+|import\s*\(\s*)['"])(\.\.?\/[^'"]*?)(['"])/g, (whole, before, spec, after) => {
      if (/\.(c|m)?js$/.test(spec)) return whole
      const target = join(dirname(file), spec)
      if (existsSync(`${target}.d.ts`)) return `${before}${spec}.js${after}`
      if (existsSync(join(target, 'index.d.ts'))) return `${before}${spec}/index.js${after}`
      return whole
    })
    if (fixed !== text) writeFileSync(file, fixed)
  }
}

const started = Date.now()
// Nothing left over from an older build (a deleted module's .d.ts, a source map) reaches a package.
rmSync(join(root, 'dist'), { recursive: true, force: true })
await Promise.all([
  buildAgent({ outfile: join(root, 'resources/agent.cjs') }),
  build({ ...common, entryPoints: [join(root, 'src-main/index.ts')], outfile: join(root, 'dist/index.js') }),
  build({
    ...common,
    entryPoints: [join(root, 'src-main/cli/main.ts')],
    outfile: join(root, 'dist/cli.js'),
    banner: { js: '#!/usr/bin/env node' },
  }),
])
if (!process.argv.includes('--no-types')) {
  execFileSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(root, 'tsconfig.lib.json')], { stdio: 'inherit' })
  withExtensions(join(root, 'dist/types'))
}
console.log(`clusterdesk: built dist/ and resources/agent.cjs in ${Date.now() - started} ms`)
