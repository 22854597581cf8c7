/** `npx clusterdesk …`: the command-line entry (bundled to dist/cli.js). Only wiring. */
import { runCli } from './program'

// `clusterdesk pi | head` closes stdout early; that is not an error worth a stack trace.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0)
  throw err
})

// A command waiting on an idle (unref'd) socket must not end as an unsettled top-level await
// (exit status 13): the process stays up until the command has finished.
const running = setInterval(() => undefined, 1 << 30)
process.exitCode = await runCli(process.argv)
clearInterval(running)
