/**
 * One compute node's agent in a batch job (`node agent.cjs --join host:port --key-file F
 * --engines N`, started by srun or the PBS job script): connects to the submit agent, proves it
 * holds the job's key (read from a 0600 file, never from the command line), then is an ordinary
 * node agent on that socket. Its engines die with it when the connection drops.
 */
import { Console } from 'node:console'
import { readFileSync } from 'node:fs'
import { connect, type Socket } from 'node:net'
import os from 'node:os'
import { decodeFrame, encodeFrame } from '../../core/protocol/codec'
import { DIRECT_ENV } from '../../core/protocol/directChannel'
import { AGENT, PROTOCOL_VERSION, type JoinChallengeMessage } from '../../core/protocol/messages'
import { Agent } from '../agent'
import { joinProof, readFrame } from './joinWire'

export interface ComputeAgentOptions {
  bundlePath: string
  /** `host:port` of the submit agent. */
  join: string
  keyFile: string
}

function fail(message: string, code: number): never {
  process.stderr.write(`clusterdesk compute agent on ${os.hostname()}: ${message}\n`)
  process.exit(code)
}

export async function runComputeAgent(options: ComputeAgentOptions): Promise<void> {
  globalThis.console = new Console({ stdout: process.stderr, stderr: process.stderr })
  delete process.env[DIRECT_ENV]
  const at = options.join.lastIndexOf(':')
  const host = options.join.slice(0, at).replace(/^\[|\]$/g, '')
  const port = Number(options.join.slice(at + 1))
  if (at <= 0 || !(port > 0 && port < 65536)) fail(`--join takes host:port, got '${options.join}'`, 2)
  let key: Buffer
  try {
    key = readFileSync(options.keyFile)
  } catch (err) {
    fail(`cannot read the job's key file ${options.keyFile}: ${(err as Error).message}; it must be on a filesystem the compute nodes share`, 2)
  }
  const socket = await new Promise<Socket>((resolve) => {
    const s = connect({ host, port })
    s.once('connect', () => resolve(s))
    s.once('error', (err) =>
      fail(`cannot reach the submit agent at ${options.join}: ${err.message}; the compute nodes must be able to connect to the submit host (set joinHost)`, 3),
    )
  })
  socket.setNoDelay(true)
  socket.setKeepAlive(true, 10000)
  let challenge: JoinChallengeMessage
  try {
    challenge = decodeFrame<JoinChallengeMessage>(await readFrame(socket, 30000, "the submit agent's challenge")).message
  } catch (err) {
    fail(`no challenge from the submit agent at ${options.join}: ${(err as Error).message}`, 3)
  }
  if (challenge.type !== 'joinChallenge' || challenge.version !== PROTOCOL_VERSION) {
    fail(`the submit agent at ${options.join} speaks protocol ${challenge.version}, this agent ${PROTOCOL_VERSION}`, 2)
  }
  socket.removeAllListeners('error')
  for (const chunk of encodeFrame(AGENT, { type: 'joinProof', proof: joinProof(key, challenge.nonce), host: os.hostname() })) socket.write(chunk)
  // From here on the socket is this node's agent stream, as stdio is on a local node.
  const agent = new Agent(socket, socket as unknown as NodeJS.WriteStream, { bundlePath: options.bundlePath, heartbeatTimeout: 30000 })
  for (const signal of ['SIGTERM', 'SIGHUP', 'SIGINT'] as const) process.on(signal, () => void agent.stop(`received ${signal}`, 0))
  socket.resume()
  agent.start()
}
