/**
 * A real controller process (a small script with a one-engine local Cluster) whose direct-channel
 * socket gets everything but a proper hello: each such connection is dropped, and the controller
 * stays alive and working. The socket's address is read from the agent's environment.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { connect } from 'node:net'
import { join } from 'node:path'
import { expect, test } from 'vitest'
import { encodeFrame } from '../../../src-main/core/protocol/codec'
import { DIRECT_ENV, parseDirectAddress, type DirectAddress } from '../../../src-main/core/protocol/directChannel'
import { onCleanup, tempDir } from '../../helpers/service'

const root = join(import.meta.dirname, '../../..')

/** The controller: starts one local engine, prints the agent's pid, answers each line with a task's value; stops at EOF. */
const CONTROLLER = `
import { createInterface } from 'node:readline'
import { Cluster } from ${JSON.stringify(join(root, 'dist', 'index.js'))}
const cluster = new Cluster({ nodes: [{ kind: 'local', engines: 1 }] })
const rc = await cluster.start()
console.log(JSON.stringify({ agentPid: cluster.nodes[0].agentPid }))
for await (const _ of createInterface({ input: process.stdin })) {
  console.log(JSON.stringify({ value: await rc.view(0).apply((a, b) => a * b, 6, 7) }))
}
await cluster.stop()
`

class Controller {
  private readonly lines: string[] = []
  private waiters: Array<() => void> = []
  stderr = ''

  constructor(readonly child: ChildProcess) {
    let out = ''
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString()
      for (let nl = out.indexOf('\n'); nl >= 0; nl = out.indexOf('\n')) {
        this.lines.push(out.slice(0, nl))
        out = out.slice(nl + 1)
      }
      for (const w of this.waiters.splice(0)) w()
    })
    child.stderr!.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()))
    child.once('exit', () => this.waiters.splice(0).forEach((w) => w()))
  }

  async line(): Promise<Record<string, unknown>> {
    while (this.lines.length === 0) {
      if (this.child.exitCode !== null || this.child.signalCode !== null) throw new Error(`the controller exited (${this.child.exitCode ?? this.child.signalCode}): ${this.stderr}`)
      await new Promise<void>((r) => this.waiters.push(r))
    }
    return JSON.parse(this.lines.shift()!)
  }

  async ping(): Promise<unknown> {
    this.child.stdin!.write('ping\n')
    return (await this.line()).value
  }
}

/** Connects to the socket, writes the bytes, and resolves once the controller has closed the connection. */
function dropped(address: DirectAddress, bytes: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect(address.path)
    onCleanup(() => socket.destroy())
    socket.on('error', () => undefined)
    const timer = setTimeout(() => reject(new Error(`the controller kept a connection that sent ${bytes.subarray(0, 40).toString('hex')}`)), 15_000)
    socket.once('close', () => {
      clearTimeout(timer)
      resolve()
    })
    socket.write(bytes)
  })
}

const frame = (engine: number, message: unknown): Buffer => Buffer.concat(encodeFrame(engine, message as never))

test.skipIf(process.platform !== 'linux')('garbage on the direct-channel socket never takes the controller down', async () => {
  const script = join(tempDir(), 'controller.mjs')
  writeFileSync(script, CONTROLLER)
  const child = spawn(process.execPath, [script], { stdio: ['pipe', 'pipe', 'pipe'], cwd: root })
  onCleanup(() => child.exitCode === null && child.kill('SIGKILL'))
  const controller = new Controller(child)
  const { agentPid } = (await controller.line()) as { agentPid: number }
  // Linux only: the address is in the environment the agent was started with.
  const entry = readFileSync(`/proc/${agentPid}/environ`, 'utf8').split('\0').find((e) => e.startsWith(`${DIRECT_ENV}=`))
  const address = parseDirectAddress(entry?.slice(DIRECT_ENV.length + 1))
  expect(address).not.toBeNull()
  expect(await controller.ping()).toBe(42)

  const { token } = address!
  const tooBig = Buffer.alloc(12)
  tooBig.writeUInt32BE(0xfffffff0, 0)
  const tiny = Buffer.from([0, 0, 0, 0, 1, 2, 3, 4])
  const hostile: Array<[string, Buffer]> = [
    ['a token that is an object with a bad toString', frame(0, { type: 'directHello', engine: 0, token: { toString: 1 } })],
    ['a token that is a number', frame(0, { type: 'directHello', engine: 0, token: 5 })],
    ['a token that is an array', frame(0, { type: 'directHello', engine: 0, token: [token] })],
    ['a token of the wrong length', frame(0, { type: 'directHello', engine: 0, token: `${token}x` })],
    ['a non-ASCII token of the right length in characters', frame(0, { type: 'directHello', engine: 0, token: 'é'.repeat(token.length) })],
    ['an engine that is a string', frame(0, { type: 'directHello', engine: '0', token })],
    ['an engine this node did not start', frame(99, { type: 'directHello', engine: 99, token })],
    ['a second channel for an attached engine', frame(0, { type: 'directHello', engine: 0, token })],
    ['another message type', frame(0, { type: 'result', id: 1, status: 'ok', started: 0, completed: 0, stdout: '', stderr: '' })],
    ['null', frame(0, null)],
    ['a body that is not MessagePack', Buffer.concat([frame(0, { type: 'pong', seq: 1 }).subarray(0, 12), Buffer.alloc(8, 0xc1)])],
    ['a length over the hello limit', tooBig],
    ['a frame shorter than its header', tiny],
    ['text', Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n')],
  ]
  for (const [what, bytes] of hostile) {
    await dropped(address!, bytes).catch((err: Error) => {
      throw new Error(`${what}: ${err.message}`)
    })
    expect(child.exitCode, `${what}: ${controller.stderr}`).toBeNull()
  }
  expect(await controller.ping()).toBe(42)

  child.stdin!.end()
  expect(await new Promise((r) => child.once('exit', r)), controller.stderr).toBe(0)
}, 120_000)
