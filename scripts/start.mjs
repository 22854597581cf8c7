// `npm start`: the desktop app in Electron when the electron package is installed (it fetches its
// binary on first use); otherwise one line saying so, and the same GUI served to the browser by
// `clusterdesk serve` instead.
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const require = createRequire(import.meta.url)
const root = join(dirname(fileURLToPath(import.meta.url)), '..')

function hasElectron() {
  if (process.env.ELECTRON_EXEC_PATH) return true
  try {
    require.resolve('electron/package.json')
    return true
  } catch {
    return false
  }
}

function run(args) {
  const child = spawn(process.execPath, args, { stdio: 'inherit', cwd: root })
  // Ctrl-C reaches the child through the terminal; wait for it to finish its own shutdown.
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal))
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)))
}

if (hasElectron()) {
  // package.json's "main" is the library, so name the app's entry explicitly.
  const cli = join(dirname(require.resolve('electron-vite/package.json')), 'bin', 'electron-vite.js')
  run([cli, 'preview', '--entry', 'out/main/main.js', ...process.argv.slice(2)])
} else {
  console.log(
    'clusterdesk: Electron is not installed here (it needs Node >= 22.12 and a download), so the same GUI is served to your browser instead:',
  )
  if (!existsSync(join(root, 'dist', 'cli.js')) || !existsSync(join(root, 'out', 'renderer', 'index.html'))) {
    console.error('clusterdesk: not built yet: run `npm run build` first')
    process.exit(1)
  }
  run([join(root, 'dist', 'cli.js'), 'serve', '--open', ...process.argv.slice(2)])
}
