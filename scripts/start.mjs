// `npm start`: builds the current source, then opens the desktop app in Electron; where Electron
// cannot run (it needs Node >= 22.12, and it fetches its binary on first use), says so in one line
// and serves the same GUI to the browser through `clusterdesk serve` instead.
import { spawn, spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const require = createRequire(import.meta.url)
const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const electronVite = join(root, 'node_modules', 'electron-vite', 'bin', 'electron-vite.js')

/** Runs a build step in the foreground; a failed one ends `npm start` with its status. */
function step(args) {
  const result = spawnSync(process.execPath, args, { stdio: 'inherit', cwd: root })
  if (result.status !== 0) process.exit(result.status ?? 1)
}

/**
 * The Electron binary to run, or why there is none. Requiring `electron` downloads its binary
 * when it is missing; that runs in a child so a failed download is one line here, not a trace.
 */
function electronBinary() {
  if (process.env.ELECTRON_EXEC_PATH) return { path: process.env.ELECTRON_EXEC_PATH }
  const [major, minor] = process.versions.node.split('.').map(Number)
  if (major < 22 || (major === 22 && minor < 12)) return { why: `Electron needs Node >= 22.12 (this is ${process.version})` }
  let electronDir
  try {
    electronDir = dirname(require.resolve('electron/package.json'))
  } catch {
    return { why: 'the electron package is not installed' }
  }
  if (!existsSync(join(electronDir, 'path.txt'))) console.log("clusterdesk: fetching Electron's binary (first start only)…")
  const found = spawnSync(process.execPath, ['-e', "process.stdout.write(require('electron'))"], { cwd: root, encoding: 'utf8' })
  if (found.status === 0 && found.stdout) return { path: found.stdout }
  const reason = `${found.stderr ?? ''}`.split('\n').find((line) => /error|failed/i.test(line))?.trim()
  return { why: `its binary could not be downloaded${reason ? ` (${reason})` : ''}` }
}

function run(args, env = process.env) {
  const child = spawn(process.execPath, args, { stdio: 'inherit', cwd: root, env })
  // Ctrl-C reaches the child through the terminal; wait for it to finish its own shutdown.
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal))
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)))
}

// Always build: a checkout's dist/, engine bundle and out/ may be older than its source.
step([join(root, 'scripts', 'build-lib.mjs'), '--no-types'])
step([electronVite, 'build', '--logLevel', 'warn'])

const electron = electronBinary()
if (electron.path) {
  // package.json's "main" is the library, so name the app's entry explicitly.
  run([electronVite, 'preview', '--skipBuild', '--entry', 'out/main/main.js', ...process.argv.slice(2)], {
    ...process.env,
    ELECTRON_EXEC_PATH: electron.path,
  })
} else {
  console.log(`clusterdesk: no desktop window here: ${electron.why}; serving the same GUI to your browser instead:`)
  run([join(root, 'dist', 'cli.js'), 'serve', '--open', ...process.argv.slice(2)])
}
