/**
 * Entry of resources/agent.cjs, the one file every node runs:
 *   node agent.cjs [--heartbeat-timeout <ms>]   the node agent, on stdin/stdout
 *   node agent.cjs --engine <id>                one engine (started by the agent, fd 3 = its stream)
 *   node agent.cjs --submit [--heartbeat-timeout <ms>]
 *                                               a batch node's submit agent (config line on stdin)
 *   node agent.cjs --join <host:port> --key-file <f>
 *                                               a batch job's compute agent (started by the job)
 */
import { parseArgs } from 'node:util'
import { runAgent } from './agent'
import { runEngine } from './engine'
import { restoreUserTunables } from './mallocTunables'

// Engines run this very file; `__filename` is the bundle's path in the CommonJS bundle.
const bundlePath = typeof __filename === 'string' ? __filename : process.argv[1]

let values: { engine?: string; 'heartbeat-timeout'?: string; submit?: boolean; join?: string; 'key-file'?: string; engines?: string }
try {
  ;({ values } = parseArgs({
    options: {
      engine: { type: 'string' },
      'heartbeat-timeout': { type: 'string' },
      submit: { type: 'boolean' },
      join: { type: 'string' },
      'key-file': { type: 'string' },
      // Informative (the submit agent decides how many engines each compute agent runs).
      engines: { type: 'string' },
    },
  }))
} catch (err) {
  process.stderr.write(`clusterdesk agent: ${(err as Error).message}\nusage: agent.cjs [--heartbeat-timeout <ms>] | --engine <id>\n`)
  process.exit(2)
}

const engine = values.engine === undefined ? undefined : Number(values.engine)
const heartbeatTimeout = values['heartbeat-timeout'] === undefined ? undefined : Number(values['heartbeat-timeout'])
if ((engine !== undefined && !(Number.isInteger(engine) && engine >= 0)) || (heartbeatTimeout !== undefined && !(heartbeatTimeout >= 0))) {
  process.stderr.write(`clusterdesk agent: --engine takes an integer >= 0 and --heartbeat-timeout a number of ms >= 0\n`)
  process.exit(2)
}

// The batch modes load lazily: engines and ordinary agents, which start often, never evaluate them.
if (engine !== undefined) {
  restoreUserTunables()
  runEngine(engine, bundlePath)
} else if (values.submit) void import('./batch/submitAgent').then((m) => m.runSubmitAgent({ bundlePath, heartbeatTimeout }))
else if (values.join !== undefined) {
  if (!values['key-file']) {
    process.stderr.write('clusterdesk agent: --join needs --key-file <file> (the key is never given on the command line)\n')
    process.exit(2)
  }
  const options = { bundlePath, join: values.join, keyFile: values['key-file'] }
  void import('./batch/computeAgent').then((m) => m.runComputeAgent(options))
} else runAgent({ bundlePath, heartbeatTimeout })
