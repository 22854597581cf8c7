/**
 * A batch node's agent on the submit host (`node agent.cjs --submit`, its config as the first
 * line on stdin): writes the job's scripts and a 0600 key file in a job directory, submits the
 * job, reports its state in the scheduler's words, accepts the job's compute agents over TCP
 * (HMAC challenge over the key), and relays their engines over its one stream as if they were
 * local. It cancels the job when the controller's stream ends, heartbeats stop or it is asked
 * to shut down; the compute agents exit when their connection drops.
 */
import { Console } from 'node:console'
import { randomBytes } from 'node:crypto'
import { readFileSync, rmSync } from 'node:fs'
import type { Server, Socket } from 'node:net'
import os from 'node:os'
import { join } from 'node:path'
import { decodeFrame, encodeFrame, frameEngine } from '../../core/protocol/codec'
import { DIRECT_ENV } from '../../core/protocol/directChannel'
import { AGENT, PROTOCOL_VERSION, type EngineExitMessage, type FromAgent, type JobStateMessage, type SpawnMessage, type ToAgent } from '../../core/protocol/messages'
import { StreamTransport } from '../../core/protocol/transport'
import { ComputeLink } from './computeLink'
import { readLine } from './joinWire'
import { type BatchJobConfig, type JobFiles, type JobReading, type Scheduler, schedulerFor } from './schedulers'
import { prepareJob, submitJob } from './submitJob'

type Input = NodeJS.ReadableStream & { pause(): unknown; resume(): unknown; unshift(chunk: Buffer): void }

/** An engine id the controller asked for and no compute agent has taken yet. */
interface PendingEngine {
  id: number
  /** The spawn request's options (cwd, env, heap limit, liveness), passed on to the compute agent. */
  options: Omit<SpawnMessage, 'type' | 'engines'>
}

export class SubmitAgent {
  private readonly transport: StreamTransport
  private readonly scheduler: Scheduler
  private readonly links = new Set<ComputeLink>()
  /** Which compute agent runs each engine. */
  private readonly owner = new Map<number, ComputeLink>()
  private readonly pending: PendingEngine[] = []
  private server: Server | null = null
  private files: JobFiles | null = null
  private job = ''
  private last: JobReading | null = null
  private ended: string | null = null
  private poller: NodeJS.Timeout | null = null
  private heartbeat: NodeJS.Timeout | null = null
  private stopping = false
  private readonly key = randomBytes(32)

  constructor(
    input: Input,
    private readonly output: NodeJS.WriteStream,
    private readonly config: BatchJobConfig,
    private readonly bundlePath: string,
    private readonly heartbeatTimeout: number,
  ) {
    this.scheduler = schedulerFor(config)
    this.transport = new StreamTransport(input, output)
    this.transport.setHandlers({
      onFrame: (frame) => this.frame(frame),
      onClose: () => void this.stop('the controller closed the stream', 0),
    })
    input.resume()
  }

  /** Prepares and submits the job, then greets the controller (a refused submit fails the handshake). */
  async start(): Promise<void> {
    if (this.heartbeatTimeout > 0) this.heartbeat = setTimeout(() => void this.stop(`no ping from the controller for ${this.heartbeatTimeout} ms`, 1), this.heartbeatTimeout)
    try {
      const prepared = await prepareJob(this.config, this.scheduler, this.bundlePath, this.key, (socket) => this.joined(socket))
      this.files = prepared.files
      this.server = prepared.server
      this.job = await submitJob(this.config, this.scheduler, this.files)
    } catch (err) {
      this.error((err as Error).message)
      return void this.stop('the job could not be submitted', 1)
    }
    this.send({
      type: 'hello',
      version: PROTOCOL_VERSION,
      agent: { pid: process.pid, host: os.hostname(), cores: this.config.engines * this.config.nodes, nodeVersion: process.version, platform: process.platform },
    })
    // The first reading right away: the controller shows the scheduler's own state from the start.
    void this.read().finally(() => this.poll())
  }

  // ---- the scheduler's view -------------------------------------------------------------

  private poll(): void {
    this.poller = setTimeout(() => void this.read().finally(() => !this.ended && !this.stopping && this.poll()), this.config.pollMs ?? 3000)
  }

  private reading: Promise<JobReading | null> | null = null

  /** Reads the job's state once (sharing a read in flight), reports a change, handles its end. */
  private read(): Promise<JobReading | null> {
    this.reading ??= this.scheduler
      .read(this.job)
      .then((reading) => {
        if (reading) this.state(reading)
        return reading
      })
      .finally(() => (this.reading = null))
    return this.reading
  }

  /**
   * The job's state once it has settled: a job being torn down shows `COMPLETING` for a while
   * before its real end (CANCELLED, TIMEOUT…), which is the reason worth reporting.
   */
  private async settled(): Promise<JobReading | null> {
    let reading = await this.read().catch(() => null)
    for (let i = 0; i < 30 && reading && /^(COMPLETING|EXITING|E)$/.test(reading.state) && !this.ended; i++) {
      await new Promise((r) => setTimeout(r, 500))
      reading = (await this.read().catch(() => null)) ?? reading
    }
    return reading
  }

  private state(reading: JobReading): void {
    if (this.last && this.last.state === reading.state && this.last.reason === reading.reason) return
    this.last = reading
    const message: JobStateMessage = { type: 'jobState', scheduler: this.scheduler.name, job: this.job, state: reading.state, reason: reading.reason }
    this.send(message)
    if (reading.done) this.jobEnded(reading)
  }

  private endReason(reading: JobReading): string {
    return `the ${this.scheduler.name === 'slurm' ? 'Slurm' : 'PBS'} job ${this.job} ended: ${reading.state}${reading.reason ? ` (${reading.reason})` : ''}`
  }

  /** The scheduler ended the job: every engine not yet reported is dead, for the scheduler's reason. */
  private jobEnded(reading: JobReading): void {
    if (this.ended) return
    let why = this.endReason(reading)
    if (this.links.size === 0 && this.owner.size === 0) {
      const out = this.jobOutput()
      if (out) why += `; its output: ${out}`
    }
    this.ended = why
    if (this.owner.size === 0 && this.pending.length > 0) this.error(why)
    // Compute agents still connected report their engines as they go; give them a moment.
    setTimeout(() => {
      for (const [id] of this.owner) this.engineGone(id, why)
      for (const engine of this.pending.splice(0)) this.engineGone(engine.id, why)
      void this.stop(why, 0)
    }, 1500).unref()
  }

  private jobOutput(): string {
    try {
      return readFileSync(join(this.files!.dir, 'job.out'), 'utf8').trim().split('\n').slice(-5).join(' | ').slice(-1000)
    } catch {
      return ''
    }
  }

  // ---- compute agents -------------------------------------------------------------------

  private joined(socket: Socket): void {
    if (this.stopping || this.links.size >= this.config.nodes) {
      socket.destroy()
      return
    }
    const link = new ComputeLink(socket, this.key, {
      ready: () => {
        // An agent of the job joined: the job runs, whatever the last poll said. Reported before
        // its engines register (same stream, in order), so no engine is ready in a "pending" job.
        if (this.last?.state !== 'RUNNING') this.state({ state: 'RUNNING', reason: '', done: false })
        this.assign()
      },
      frame: (frame) => this.fromCompute(link, frame),
      closed: (why) => this.linkClosed(link, why),
      refused: () => this.links.delete(link),
    })
    this.links.add(link)
  }

  /** Gives waiting engine ids to compute agents with room, `engines` per agent. */
  private assign(): void {
    for (const link of this.links) {
      if (!link.ready || this.pending.length === 0) continue
      const room = this.config.engines - link.engines.size
      const batch = this.pending.splice(0, Math.max(0, room))
      if (batch.length === 0) continue
      for (const engine of batch) {
        link.engines.add(engine.id)
        this.owner.set(engine.id, link)
      }
      // Engines given in one spawn share its options; the first's stand for the batch.
      link.sendAgent({ type: 'spawn', engines: batch.map((e) => e.id), ...batch[0].options })
    }
  }

  private fromCompute(link: ComputeLink, frame: Uint8Array): void {
    if (frameEngine(frame) !== AGENT) return this.transport.send([frame])
    const message = decodeFrame<FromAgent>(frame).message
    if (message.type === 'hello' || message.type === 'pong') return
    if (message.type === 'agentError') return this.error(`${link.host}: ${message.message}`)
    if (message.type === 'engineExit') return void this.explainExit(link, message)
    this.transport.send([frame])
  }

  /** An engine on a compute node ended: if the job is ending too, say so in the scheduler's words. */
  private async explainExit(link: ComputeLink, message: EngineExitMessage): Promise<void> {
    const reading = this.ended ? null : await this.settled()
    const ending = this.ended ?? (reading && reading.state !== 'RUNNING' ? this.endReason(reading) : null)
    if (this.owner.get(message.engine) !== link) return
    link.engines.delete(message.engine)
    this.owner.delete(message.engine)
    this.send({ ...message, ...(ending ? { reason: ending } : {}) })
  }

  private async linkClosed(link: ComputeLink, why: string): Promise<void> {
    this.links.delete(link)
    if (link.engines.size === 0) return
    const reading = this.ended ? null : await this.settled()
    const ending = this.ended ?? (reading && reading.state !== 'RUNNING' ? this.endReason(reading) : `the compute agent on ${link.host} ${why}`)
    for (const id of [...link.engines]) if (this.owner.get(id) === link) this.engineGone(id, ending)
  }

  private engineGone(id: number, reason: string): void {
    const link = this.owner.get(id)
    link?.engines.delete(id)
    this.owner.delete(id)
    this.send({ type: 'engineExit', engine: id, code: null, signal: null, stderrTail: '', reason })
  }

  // ---- the controller's stream ----------------------------------------------------------

  private frame(frame: Uint8Array): void {
    const engine = frameEngine(frame)
    if (engine !== AGENT) {
      // Frames for an engine not (or no longer) on a compute node are dropped, as an agent drops them.
      this.owner.get(engine)?.send([frame])
      return
    }
    let message: ToAgent
    try {
      message = decodeFrame<ToAgent>(frame).message
    } catch (err) {
      return this.error(`cannot decode a message for the submit agent: ${(err as Error).message}`)
    }
    switch (message.type) {
      case 'hello':
        if (message.version !== PROTOCOL_VERSION) {
          this.error(`protocol version mismatch: the controller speaks ${message.version}, this submit agent ${PROTOCOL_VERSION}`)
          void this.stop('protocol version mismatch', 2)
        }
        return
      case 'ping':
        this.heartbeat?.refresh()
        return this.send({ type: 'pong', seq: message.seq })
      case 'spawn': {
        const capacity = this.config.engines * this.config.nodes - this.owner.size - this.pending.length
        message.engines.forEach((id, i) => {
          if (this.ended) return this.engineGone(id, this.ended)
          if (i >= capacity) return this.engineGone(id, `the batch job has room for ${this.config.engines} engines on each of its ${this.config.nodes} node(s)`)
          const { type: _type, engines: _engines, ...options } = message
          this.pending.push({ id, options })
        })
        return this.assign()
      }
      case 'signal': {
        const link = this.owner.get(message.engine)
        if (link) return link.sendAgent(message)
        const i = this.pending.findIndex((e) => e.id === message.engine)
        if (i >= 0 && message.signal !== 'SIGINT') {
          this.pending.splice(i, 1)
          this.engineGone(message.engine, `stopped before the job ran (${message.signal})`)
        }
        return
      }
      case 'shutdown':
        return void this.stop('the controller asked to shut down', 0)
      default:
        return this.error(`unknown message type '${(message as { type: unknown }).type}' for the submit agent`)
    }
  }

  /** Cancels the job if it is still queued or running, drops the compute agents, then exits. */
  async stop(reason: string, exitCode: number): Promise<void> {
    if (this.stopping) return
    this.stopping = true
    if (this.heartbeat) clearTimeout(this.heartbeat)
    if (this.poller) clearTimeout(this.poller)
    console.error(`clusterdesk submit agent: ${reason}`)
    if (this.job && !this.ended) {
      const r = await this.scheduler.cancel(this.job)
      if (r.code !== 0 && !this.last?.done) console.error(`clusterdesk submit agent: cannot cancel job ${this.job}: ${(r.stderr || r.stdout).trim()}`)
    }
    for (const link of this.links) link.close()
    this.server?.close()
    if (this.files) rmSync(this.files.dir, { recursive: true, force: true })
    setImmediate(() => {
      setTimeout(() => process.exit(exitCode), 1000).unref()
      this.output.write('', () => process.exit(exitCode))
    })
  }

  private error(message: string): void {
    this.send({ type: 'agentError', message })
  }

  private send(message: FromAgent): void {
    this.transport.send(encodeFrame(AGENT, message))
  }
}

/** Runs this process as a batch node's submit agent on stdin/stdout. */
export async function runSubmitAgent(options: { bundlePath: string; heartbeatTimeout?: number }): Promise<void> {
  // stdout carries the protocol and nothing else.
  globalThis.console = new Console({ stdout: process.stderr, stderr: process.stderr })
  // The job inherits this environment (sbatch exports it): no local launcher's secret in it.
  delete process.env[DIRECT_ENV]
  let config: BatchJobConfig
  try {
    config = JSON.parse(await readLine(process.stdin, 30000)) as BatchJobConfig
  } catch (err) {
    process.stderr.write(`clusterdesk submit agent: cannot read the job configuration: ${(err as Error).message}\n`)
    return process.exit(2)
  }
  const agent = new SubmitAgent(process.stdin, process.stdout, config, options.bundlePath, options.heartbeatTimeout ?? 15000)
  for (const signal of ['SIGTERM', 'SIGHUP', 'SIGINT'] as const) process.on(signal, () => void agent.stop(`received ${signal}`, 0))
  await agent.start()
}
