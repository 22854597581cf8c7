/**
 * The `clusterdesk` command line: commands, options, help, and exit statuses.
 * Exit status: 0 done, 1 the run failed, 2 bad usage (nothing was started), 130 interrupted.
 */
import { existsSync, readFileSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { registerDaemonCommands } from './daemonCommands'
import { registerServe } from './serveCommand'
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander'
import { ClusterConfigError } from '../cluster/options'
import { NodeNotFoundError } from '../nodes/LocalLauncher'
import { MAX_TASKS, PI_KERNELS, PI_MODES } from '../experiments/pi/runPi'
import { collectNode } from './nodeOption'
import { CliUsageError, INTERRUPTED, InterruptedError, piCommand, type PiCommandOptions } from './piCommand'

export const EXIT_FAILED = 1
export const EXIT_USAGE = 2

/** Set by the bundler (scripts/build-lib.mjs); read from package.json when run from source. */
declare const __CLUSTERDESK_VERSION__: string | undefined

function version(): string {
  if (typeof __CLUSTERDESK_VERSION__ === 'string') return __CLUSTERDESK_VERSION__
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    const file = join(dir, 'package.json')
    if (existsSync(file)) {
      const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string }
      if (pkg.name === 'clusterdesk' && pkg.version) return pkg.version
    }
    if (dirname(dir) === dir) return 'unknown'
  }
}

// Value parsers throw InvalidArgumentError, so commander prints one line naming the option and the
// value (`error: option '--samples <n>' argument 'abc' is invalid. …`) and we exit with EXIT_USAGE.

/** Plain decimal notation with an optional exponent: `16`, `1e8`, `2.5e6`, `1000000`. */
const COUNT = /^\d+(\.\d+)?([eE]\+?\d+)?$/

/** A parser for a whole number from `min` to `max`, accepting `1e8`-style notation. */
export function wholeNumber(min: number, max = Number.MAX_SAFE_INTEGER, example = '16'): (text: string) => number {
  return (text: string) => {
    const value = COUNT.test(text.trim()) ? Number(text) : Number.NaN
    if (!Number.isInteger(value) || value < min || value > max) {
      const range = max === Number.MAX_SAFE_INTEGER ? `from ${min} to 2^53 - 1` : `from ${min} to ${max}`
      throw new InvalidArgumentError(`Expected a whole number ${range}, like ${example}.`)
    }
    return value
  }
}

/** A non-empty string (a path). */
export function nonEmpty(what: string): (text: string) => string {
  return (text: string) => {
    if (text.trim() === '') throw new InvalidArgumentError(`Expected ${what}, got an empty string.`)
    return text
  }
}

const PI_EXAMPLES = `
Examples:
  $ clusterdesk pi                                   # 1e8 samples, 16 tasks, lb-map, one engine per core
  $ clusterdesk pi --samples 1e9 --tasks 64 --engines 2 --mode direct-map
  $ clusterdesk pi --all-modes                       # every mode, compared in one table
  $ clusterdesk pi --kernel simd --samples 2e9 --tasks 32   # WebAssembly SIMD, 16 streams per chunk
  $ clusterdesk pi --kernel math-random --mode lb-apply
  $ clusterdesk pi --node local:2 --node 'ssh://bo@lab1:22?engines=8&identityFile=~/.ssh/id_ed25519'
  $ clusterdesk pi --node 'ssh://bo@lab1?engines=4' --accept-new-host-keys   # a script trusting lab1's key on first use
  $ clusterdesk pi --json | jq .pi                   # the PiResult as JSON (an array with --all-modes)
  $ clusterdesk pi --profile lab                     # on the cluster \`clusterdesk start --profile lab\` runs; it keeps running

Modes: ${PI_MODES.join(', ')}.
With the seeded or simd kernel every mode that covers all chunks (all but lb-apply, the pitfall) gives the same hits for the same --seed, --samples and --tasks (simd's hits differ from seeded's: another generator layout).
Speedup is the CPU time the engines spent on the work over the wall time (against one engine doing it all); efficiency is speedup / engines.
In a terminal, an SSH node with an unknown host key shows its SHA256 fingerprint and asks whether to trust it
(recorded in the trust store, $CLUSTERDESK_HOME/known_hosts or ~/.local/share/clusterdesk/known_hosts, or in the node's knownHostsFile=),
and an encrypted identity file that no ssh-agent holds asks for its passphrase (never stored).
Exit status: 0 done, 1 the run failed, 2 bad usage, 130 interrupted.`

export function createProgram(): Command {
  const program = new Command()
  program
    .name('clusterdesk')
    .description('Parallel JavaScript on Node.js engines, ipyparallel-style: run experiments on a local cluster, or serve the GUI.')
    .version(version(), '-V, --version', 'print the version')
    .helpOption('-h, --help', 'show help')
    .exitOverride()
    .configureOutput({ outputError: (text, write) => write(`clusterdesk: ${text}`) })
    .addHelpText('after', '\nExamples:\n  $ clusterdesk pi --samples 1e8 --tasks 16 --engines 2 --mode lb-map\n  $ clusterdesk pi --all-modes --json\n  $ clusterdesk start -n 4 --profile lab && clusterdesk pi --profile lab && clusterdesk stop --profile lab\n  $ clusterdesk serve                # the GUI in your browser\n  $ clusterdesk help pi')

  program
    .command('pi')
    .description('estimate π by Monte Carlo on a local cluster (or a running one: --profile), in one of the lecture\'s parallel patterns or all of them')
    .addOption(new Option('--samples <n>', 'points to draw in all').argParser(wholeNumber(1, Number.MAX_SAFE_INTEGER, '1e8')).default(1e8, '1e8'))
    .option('--tasks <n>', 'chunks to split the samples into', wholeNumber(1, MAX_TASKS, '16'), 16)
    // No fixed maximum: the node agent says how many this machine can hold, and start refuses more.
    .addOption(new Option('--engines <n>', 'local engines to start').argParser(wholeNumber(1, Number.MAX_SAFE_INTEGER, '2')).default(availableParallelism(), `one per core: ${availableParallelism()}`))
    .addOption(new Option('--mode <mode>', 'how the chunks are spread over the engines').choices(PI_MODES).default('lb-map'))
    .addOption(new Option('--all-modes', 'run every mode and print a comparison table').conflicts('mode'))
    .addOption(new Option('--kernel <kernel>', 'seeded (reproducible), simd (reproducible, WebAssembly SIMD: faster) or math-random (the lecture\'s)').choices(PI_KERNELS).default('seeded'))
    .option('--seed <n>', 'seed of the seeded and simd kernels', wholeNumber(0, 2 ** 32 - 1, '42'), 42)
    .option('--json', 'print the result as one JSON value on stdout (an array with --all-modes) and nothing else')
    .option('--node <spec>', 'a node to run engines on, repeatable: local, local:2, ssh://user@host:port?engines=2&identityFile=…&nodePath=…&strictHostKeyChecking=accept-new, a Slurm job slurm:PARTITION?time=01:00:00&nodes=2&engines=8 (slurm://user@login/PARTITION?… through a login host), or pbs:QUEUE?walltime=…&nodes=2 (--engines is then not used)', collectNode)
    .option('--accept-new-host-keys', 'trust and record the host key of an SSH node seen for the first time without asking (for scripts; a changed key is still refused)')
    .option('--node-path <path>', 'Node.js executable for the engines (default: this one)', nonEmpty('the path of a Node.js executable'))
    .option('--profile <name>', 'run on the cluster running under this profile (see `clusterdesk start`) and leave it running')
    .addHelpText('after', PI_EXAMPLES)
    .action((options: PiCommandOptions, command: Command) => piCommand({ ...options, enginesGiven: command.getOptionValueSource('engines') === 'cli' }))

  registerDaemonCommands(program)
  registerServe(program)
  return program
}

/** Runs the command line; resolves to the exit status (errors are already reported on stderr). */
export async function runCli(argv: string[]): Promise<number> {
  try {
    await createProgram().parseAsync(argv)
    return 0
  } catch (err) {
    // Commander has printed its own message (or the help / version) already.
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : EXIT_USAGE
    if (err instanceof InterruptedError) return INTERRUPTED
    const usage = err instanceof CliUsageError || err instanceof NodeNotFoundError || err instanceof ClusterConfigError
    process.stderr.write(`clusterdesk: ${usage ? 'error: ' : ''}${(err as Error).message ?? String(err)}\n`)
    return usage ? EXIT_USAGE : EXIT_FAILED
  }
}
