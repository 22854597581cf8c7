/** `npx clusterdesk …`: the command-line entry (bundled to dist/cli.js). Only wiring. */
import { runCli } from './program'

// `clusterdesk pi | head` closes stdout early; that is not an error worth a stack trace.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0)
  throw err
})

process.exitCode = await runCli(process.argv)
