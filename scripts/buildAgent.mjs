#!/usr/bin/env node
// Bundles the node agent and engine (src-main/engine/main.ts) into one self-contained CommonJS
// file, resources/agent.cjs, which is all a node needs besides `node` (>= 18).
// Usage: node scripts/buildAgent.mjs [outfile]
import { chmod } from 'node:fs/promises'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { build } from 'esbuild'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')

// User code runs in the engine's global scope, where it may rebind any global (`var process`,
// `Map = ...`). The bundle takes the globals it uses as parameters of a wrapper, read once at
// load, so such code cannot break the engine itself.
const CAPTURED_GLOBALS = [
  'process', 'Buffer', 'Object', 'Array', 'Map', 'Set', 'WeakMap', 'WeakSet', 'Date', 'Math', 'JSON', 'Promise',
  'Error', 'TypeError', 'RangeError', 'SyntaxError', 'String', 'Number', 'Boolean', 'Symbol', 'BigInt', 'Reflect',
  'Function', 'RegExp', 'ArrayBuffer', 'SharedArrayBuffer', 'DataView', 'Atomics', 'Int8Array', 'Uint8Array',
  'Uint8ClampedArray', 'Int16Array', 'Uint16Array', 'Int32Array', 'Uint32Array', 'Float32Array', 'Float64Array',
  'BigInt64Array', 'BigUint64Array', 'TextDecoder', 'TextEncoder', 'setTimeout', 'clearTimeout', 'setInterval',
  'clearInterval', 'setImmediate', 'clearImmediate', 'queueMicrotask', 'parseInt', 'parseFloat', 'isNaN', 'isFinite',
]

// msgpackr optionally loads a native addon; a bundle uploaded to a node cannot carry it, so every
// node runs the same pure-JS decoder instead of probing the file system at start.
const withoutNativeAddons = {
  name: 'without-native-addons',
  setup(build) {
    build.onResolve({ filter: /^msgpackr-extract$/ }, () => ({ path: 'msgpackr-extract', namespace: 'stub' }))
    build.onLoad({ filter: /.*/, namespace: 'stub' }, () => ({ contents: 'module.exports = null', loader: 'js' }))
  },
}

/**
 * Builds the agent bundle.
 * @param {{ outfile?: string }} [options] `outfile`: where to write it, relative to the package root
 *   unless absolute (default `resources/agent.cjs`).
 * @returns {Promise<string>} the absolute path of the bundle.
 */
export async function buildAgent({ outfile = 'resources/agent.cjs' } = {}) {
  const out = resolve(root, outfile)
  const names = CAPTURED_GLOBALS.join(', ')
  await build({
    entryPoints: [join(root, 'src-main/engine/main.ts')],
    outfile: out,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node18',
    logLevel: 'warning',
    legalComments: 'none',
    plugins: [withoutNativeAddons],
    banner: { js: `#!/usr/bin/env node\n;(function (${names}) {` },
    footer: { js: `})(${CAPTURED_GLOBALS.map((name) => `globalThis.${name}`).join(', ')});` },
  })
  await chmod(out, 0o755)
  return out
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const out = await buildAgent(process.argv[2] ? { outfile: resolve(process.argv[2]) } : {})
  console.log(`built ${out}`)
}
