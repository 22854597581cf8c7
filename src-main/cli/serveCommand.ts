/**
 * `clusterdesk serve`: the GUI in a browser. Prints one line with the URL (and its token), serves
 * until Ctrl-C or SIGTERM, then stops every engine it started and exits. With `--profile P`, the
 * page shows the cluster running under P (a `clusterdesk start` daemon, which keeps running), or,
 * when none runs, serve's own cluster published under P for scripts to `connect()` to.
 */
import { spawn } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { type Command, InvalidArgumentError } from 'commander'
import { ServeError, startServer, type RunningServer } from '../server/startServer'
import { defaultDataDir } from '../home'
import { checkProfileName } from './profileFiles'
import { profileStatus } from './remote'

/** The port `serve` takes when none is given and it is free. */
export const DEFAULT_PORT = 47300

export interface ServeOptions {
  /** TCP port (default DEFAULT_PORT, or a free one when that is taken; 0: a free one). */
  port?: number
  /** Where nodes and run history are stored (default: `<home>/data`, see home.ts). */
  dataDir?: string
  /** Open the page in the default browser. */
  open?: boolean
  /**
   * Show the cluster running under this profile (attached: it keeps running when serve stops);
   * when none runs, serve's own cluster is published under it (default: serve's own, as 'app').
   */
  profile?: string
}

function parsePort(text: string): number {
  const port = /^\d+$/.test(text.trim()) ? Number(text) : Number.NaN
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new InvalidArgumentError('Expected a TCP port from 1 to 65535 (or 0 for a free one), like 8080.')
  return port
}

/** Adds `clusterdesk serve` to the program. */
export function registerServe(program: Command): Command {
  return program
    .command('serve')
    .description('serve the clusterdesk GUI to a browser on this machine (loopback only, with an access token)')
    .option('--port <port>', `TCP port to listen on (default ${DEFAULT_PORT}, or a free one if that is taken; 0: any free one)`, parsePort)
    .option('--data-dir <dir>', `where nodes and run history are stored (default: ${defaultDataDir()})`)
    .option('--open', 'open the GUI in the default browser')
    .option('--profile <name>', "show the cluster running under this profile (`clusterdesk start --profile NAME`); if none runs, serve's own cluster is published under it")
    .addHelpText(
      'after',
      '\nThe URL it prints carries a random token: only someone with the URL can use the GUI.\nCtrl-C stops the server and every engine it started; a cluster it attached to with --profile keeps running.',
    )
    .action((options: ServeOptions) => serveCommand(options))
}

export async function serveCommand(options: ServeOptions): Promise<void> {
  const staticDir = rendererDir()
  if (!existsSync(join(staticDir, 'index.html'))) {
    process.stderr.write(`clusterdesk: the GUI is not built (${staticDir} is missing): run \`npx electron-vite build\`; serving the API only\n`)
  }
  const dataDir = resolve(options.dataDir ?? defaultDataDir())
  const profile = options.profile === undefined ? undefined : checkProfileName(options.profile)
  // A running profile is attached to; otherwise serve's own cluster takes its name.
  const running = profile !== undefined && (await profileStatus(profile))?.state === 'running'
  const base = { dataDir, staticDir, ...(profile !== undefined && !running ? { profile } : {}) }
  // The same port each time keeps the page's origin, and with it what the page keeps in the
  // browser (the view and the forms' values), across restarts; a busy one falls back to any.
  const server =
    options.port !== undefined
      ? await startServer({ ...base, port: options.port })
      : await startServer({ ...base, port: DEFAULT_PORT }).catch((err: unknown) => {
          if (err instanceof ServeError && /in use/.test(err.message)) return startServer({ ...base, port: 0 })
          throw err
        })
  if (profile !== undefined) await showProfile(server, profile, running)
  process.stdout.write(`clusterdesk is serving ${server.url}\n`)
  if (options.open) openBrowser(server.url)
  await untilSignal()
  process.stderr.write('clusterdesk: stopping the engines…\n')
  await server.close()
}

/** Attaches to the running profile, or checks that serve's own cluster got its name; says which on stderr. */
async function showProfile(server: RunningServer, profile: string, running: boolean): Promise<void> {
  try {
    if (running) {
      await server.service.attach(profile)
      process.stderr.write(`clusterdesk: showing profile '${profile}' (attached: it keeps running when serve stops)\n`)
      return
    }
    const state = await server.service.published()
    if (state.own !== profile) throw new Error(state.ownError ?? `profile '${profile}' could not be published`)
    process.stderr.write(`clusterdesk: no cluster runs under profile '${profile}': serve's own cluster is published under it (connect({ profile: '${profile}' }))\n`)
  } catch (err) {
    await server.close()
    throw err
  }
}

/** Resolves on the first SIGINT or SIGTERM; a second one exits at once. */
function untilSignal(): Promise<void> {
  return new Promise((resolve) => {
    const first = (): void => {
      process.off('SIGINT', first)
      process.off('SIGTERM', first)
      const again = (): never => process.exit(130)
      process.once('SIGINT', again)
      process.once('SIGTERM', again)
      resolve()
    }
    process.on('SIGINT', first)
    process.on('SIGTERM', first)
  })
}

function openBrowser(url: string): void {
  const [command, args] =
    process.platform === 'darwin' ? ['open', [url]] : process.platform === 'win32' ? ['cmd', ['/c', 'start', '""', url]] : ['xdg-open', [url]]
  const child = spawn(command, args, { stdio: 'ignore', detached: true, windowsHide: true })
  child.on('error', () => process.stderr.write(`clusterdesk: could not open a browser (${command}); open the URL above yourself\n`))
  child.unref()
}

/** `out/renderer` of the clusterdesk package this code runs from (source or dist/). */
function rendererDir(): string {
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    const pkg = join(dir, 'package.json')
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'clusterdesk') return join(dir, 'out', 'renderer')
    if (dirname(dir) === dir) return resolve('out', 'renderer')
  }
}
