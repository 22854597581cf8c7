// The command line of `npm run bench` (bench/run.mjs), and the sizes each mode measures with.

const USAGE = `usage: npm run bench -- [--runs N] [--data-runs N] [--json] [--quick] [--no-python]
  --runs N      repetitions of every figure (default 5, with --quick 2); each figure is shown as
                min / median / max over them
  --data-runs N scatters and gathers per repetition, each repetition's figure their median
                (default 1: the first scatter after a warm-up, then one gather)
  --json        print one JSON object instead of the table
  --quick       smaller sizes and fewer runs: a smoke check, not a measurement
  --no-python   leave out ipyparallel and multiprocessing (bench/ipyparallel_bench.py)
env: BENCH_PYTHON   the Python that runs bench/ipyparallel_bench.py (default /usr/bin/python3)`

/** The sizes of one repetition. `quick` ones only check that everything runs. */
export const SIZES = {
  full: {
    applyWarmup: 200,
    applies: 2000,
    lbTasks: 20_000,
    mapItems: 100_000,
    scatterLength: 10_000_000, // 80 MB of float64
    piWarmup: 1e8,
    piSamples: 2e9,
    piTasks: 32,
  },
  quick: {
    applyWarmup: 20,
    applies: 100,
    lbTasks: 1000,
    mapItems: 2000,
    scatterLength: 125_000, // 1 MB
    piWarmup: 1e6,
    piSamples: 1e7,
    piTasks: 8,
  },
}

export class UsageError extends Error {
  constructor(message) {
    super(`${message}\n${USAGE}`)
    this.name = 'UsageError'
  }
}

/** Parses argv (without node and the script). Throws UsageError on anything it does not know. */
export function parseOptions(argv) {
  const options = { runs: undefined, dataRuns: 1, json: false, quick: false, python: true, help: false }
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]
    if (arg === '--json') options.json = true
    else if (arg === '--quick') options.quick = true
    else if (arg === '--no-python') options.python = false
    else if (arg === '--help' || arg === '-h') options.help = true
    else if (arg === '--runs' || arg.startsWith('--runs=')) options.runs = wholeNumber('--runs', arg === '--runs' ? argv[++i] : arg.slice('--runs='.length))
    else if (arg === '--data-runs' || arg.startsWith('--data-runs=')) options.dataRuns = wholeNumber('--data-runs', arg === '--data-runs' ? argv[++i] : arg.slice('--data-runs='.length))
    else throw new UsageError(`unknown option ${arg}`)
  }
  options.runs ??= options.quick ? 2 : 5
  options.sizes = { ...(options.quick ? SIZES.quick : SIZES.full), dataRuns: options.dataRuns }
  return options
}

function wholeNumber(name, value) {
  const n = Number(value)
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`${name} must be a whole number ≥ 1, got ${value}`)
  return n
}

export { USAGE }
