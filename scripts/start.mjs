// `npm start`: builds the app and opens it in Electron when the Electron
// binary is here; otherwise says so in one line and exits 0, because the
// library and CLI work without it.
import { spawn } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'

const require = createRequire(import.meta.url)

// Look for the binary without require('electron'): since Electron 42 that
// starts a download when the binary is missing, which here would hang.
function electronBinary() {
  if (process.env.ELECTRON_EXEC_PATH) return process.env.ELECTRON_EXEC_PATH
  try {
    const dir = dirname(require.resolve('electron/package.json'))
    return join(dir, 'dist', readFileSync(join(dir, 'path.txt'), 'utf8'))
  } catch {
    return undefined
  }
}

const binary = electronBinary()
if (!binary || !existsSync(binary)) {
  console.log(
    'clusterdesk: the Electron binary is not installed here (on a machine with internet access, ' +
      'run `npm install electron`, Node >= 22.12); a later version will serve the GUI with `clusterdesk serve`.'
  )
  process.exit(0)
}

// package.json's "main" is the library, so name the app's entry explicitly.
const cli = join(dirname(require.resolve('electron-vite/package.json')), 'bin', 'electron-vite.js')
const child = spawn(process.execPath, [cli, 'preview', '--entry', 'out/main/main.js', ...process.argv.slice(2)], {
  stdio: 'inherit'
})
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)))
