/**
 * The commands of clusters that outlive the command line (`ipcluster start/list/stop`):
 * `clusterdesk start`, `list`, `stop`, and the hidden `_daemon` that `start` runs detached.
 */
import { availableParallelism } from 'node:os'
import { type Command, InvalidArgumentError, Option } from 'commander'
import { parseListen } from '../cluster/publish'
import { runDaemon } from './daemonProcess'
import { listCommand, type ListCommandOptions } from './listCommand'
import { collectNode } from './nodeOption'
import { DEFAULT_PROFILE } from './profileFiles'
import { nonEmpty, wholeNumber } from './program'
import { startCommand, type StartCommandOptions } from './startCommand'
import { stopCommand, type StopCommandOptions } from './stopCommand'

const START_HELP = `
Examples:
  $ clusterdesk start -n 4                           # profile 'default': 4 local engines
  $ clusterdesk start --profile lab --node local:2 --node 'ssh://bo@lab1?engines=8'
  $ clusterdesk start --profile lab --node local:1   # lab is running: add a node to it
  $ clusterdesk pi --profile lab                     # run on it; it keeps running
  $ clusterdesk stop --profile lab

The controller runs as a daemon that outlives this command; its log is <home>/profiles/<profile>/controller.log
and its connection file (mode 0600) <home>/profiles/<profile>/cluster.json, where <home> is $CLUSTERDESK_HOME
or ~/.local/share/clusterdesk. Engines work in the directory start was run from.
From Node.js: import { connect } from 'clusterdesk'; const rc = await connect({ profile: 'lab' })
An SSH node's unknown host key or encrypted identity file is asked about here, in the terminal, before the
daemon starts (without a terminal: use --accept-new-host-keys, or ssh-add the key).
Exit status: 0 the engines are up, 1 the start failed (nothing is left running) or the profile is already running, 2 bad usage.`

/** `--listen`, checked here so a bad address is bad usage (exit 2) before any daemon starts. */
function listenAddress(text: string): string {
  try {
    parseListen(text)
  } catch (err) {
    throw new InvalidArgumentError(`${(err as Error).message}.`)
  }
  return text
}

export function registerDaemonCommands(program: Command): void {
  program
    .command('start')
    .description('start a cluster that keeps running after this command returns (as ipcluster start); returns once its engines are up')
    .addOption(new Option('-n, --engines <n>', 'local engines to start').argParser(wholeNumber(1, 1024, '4')).default(availableParallelism(), `one per core: ${availableParallelism()}`))
    .option('--profile <name>', 'the name to connect to it by', DEFAULT_PROFILE)
    .option('--node <spec>', 'a node to run engines on, repeatable: local, local:2, or ssh://user@host:port?engines=2&… (--engines is then not used); on a running profile, the nodes to add to it', collectNode)
    .option('--accept-new-host-keys', 'trust and record the host key of an SSH node seen for the first time without asking (a changed key is still refused)')
    .option('--node-path <path>', 'Node.js executable for the local engines (default: this one)', nonEmpty('the path of a Node.js executable'))
    .option('--listen <host:port>', 'clients connect over TCP at this address (default: a Unix socket only this user can open)', listenAddress)
    .option('--json', 'print { profile, pid, file, log, engines } as JSON instead of the text')
    .addHelpText('after', START_HELP)
    .action((options: StartCommandOptions) => startCommand(options))

  program
    .command('list')
    .description('show every profile: state, controller pid, engines, connected clients and uptime (stale connection files are removed)')
    .option('--json', 'print an array of { profile, state, pid, engines, clients, uptimeS }')
    .action((options: ListCommandOptions) => listCommand(options))

  program
    .command('stop')
    .description('stop a cluster started with `clusterdesk start`: no controller, agent or engine is left on any host')
    .addOption(new Option('--profile <name>', 'the profile to stop').default(DEFAULT_PROFILE).conflicts('all'))
    .option('--all', 'stop every running profile')
    .addOption(new Option('--timeout <s>', 'seconds the controller gets to stop before it is killed (SIGTERM, then SIGKILL to its process group)').argParser(wholeNumber(1, 3600, '10')).default(10))
    .addHelpText('after', '\nExit status: 0 stopped (or, with --all, nothing was running), 1 the profile is not running or would not stop, 2 bad usage.')
    .action((options: StopCommandOptions) => stopCommand(options))

  program.command('_daemon', { hidden: true }).action(() => runDaemon())
}
