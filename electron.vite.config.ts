import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { resolve } from 'node:path'
import vue from '@vitejs/plugin-vue'
import { defineConfig } from 'electron-vite'

const root = import.meta.dirname

// electron-vite reads the installed electron package to pick the Node/Chrome
// build targets and whether main may be ESM, and throws when it is absent
// (electron is an optional dependency: library-only installs and machines
// that cannot download its binary have none). Fall back to the major version
// package.json asks for, through the variable electron-vite caches it in.
function declaredElectronMajor(): string | undefined {
  try {
    createRequire(import.meta.url).resolve('electron/package.json')
    return undefined
  } catch {
    const pkg = JSON.parse(readFileSync(resolve(root, 'package.json'), 'utf8'))
    const range: string | undefined = pkg.optionalDependencies?.electron ?? pkg.devDependencies?.electron
    return range?.match(/\d+/)?.[0]
  }
}
process.env.ELECTRON_MAJOR_VER ||= declaredElectronMajor() ?? ''

export default defineConfig({
  main: {
    build: {
      rollupOptions: {
        input: { main: resolve(root, 'src-main/app/main.ts') }
      }
    }
  },
  preload: {
    build: {
      rollupOptions: {
        input: { index: resolve(root, 'src-main/preload/index.ts') },
        // A sandboxed preload cannot be an ES module.
        output: { format: 'cjs', entryFileNames: '[name].cjs' }
      }
    }
  },
  renderer: {
    root: resolve(root, 'src-renderer'),
    plugins: [vue()],
    build: {
      // The same files are served to browsers by `clusterdesk serve` and ship in the npm package.
      minify: true,
      // One ~1.4 MB chunk (Vue, naive-ui, ECharts), loaded from this machine: no need to split it.
      chunkSizeWarningLimit: 2048,
      rollupOptions: {
        input: { index: resolve(root, 'src-renderer/index.html') }
      }
    }
  }
})
