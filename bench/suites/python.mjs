// The references in Python, same run: ipyparallel with 2 engines and multiprocessing.Pool(2).map
// (bench/ipyparallel_bench.py), one repetition of it between clusterdesk's, so that both share the
// machine's load. Python is BENCH_PYTHON (default /usr/bin/python3); without it, or without
// ipyparallel and numpy there, those figures are skipped and the report says why.
import { execFile } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const script = fileURLToPath(new URL('../ipyparallel_bench.py', import.meta.url))

/** The script's JSON, run with these arguments. */
function runScript(python, args, env) {
  return new Promise((resolve, reject) => {
    execFile(python, [script, '--json', ...args], { env, maxBuffer: 1 << 22 }, (err, stdout, stderr) =>
      err ? reject(new Error(`${python} bench/ipyparallel_bench.py failed: ${err.message}\n${stderr}`)) : resolve(JSON.parse(stdout)),
    )
  })
}

/** A suite of the script's figures, run by `python`. */
export function pythonSuite(python = process.env.BENCH_PYTHON ?? '/usr/bin/python3') {
  return {
    name: 'python',
    declared: [],
    skipped: [],
    info: {},
    async setup({ quick }) {
      if (!existsSync(python)) return `no ${python} (BENCH_PYTHON names another)`
      this.home = mkdtempSync(join(tmpdir(), 'clusterdesk-bench-ipython-'))
      // IPython needs IPYTHONDIR's parent to exist, or it silently uses a temporary profile.
      this.env = { ...process.env, IPYTHONDIR: join(this.home, 'ipython') }
      this.args = quick ? ['--quick'] : []
      const list = await runScript(python, [...this.args, '--list'], this.env)
      this.declared = list.figures
      this.skipped = list.skipped
      return undefined
    },
    figures() {
      return this.declared.map((f) => ({ ...f, goals: [], compare: [] }))
    },
    async repetition({ quick }, index) {
      // ipyparallel alone takes seconds to start and stop: a quick smoke check measures it once.
      if (quick && index > 0) return {}
      const out = await runScript(python, [...this.args, '--runs', '1'], this.env)
      this.info = { python: out.python, ...out.versions }
      return Object.fromEntries(out.figures.map((f) => [f.id, f.samples[0]]))
    },
    async teardown() {
      if (this.home) rmSync(this.home, { recursive: true, force: true })
    },
  }
}
