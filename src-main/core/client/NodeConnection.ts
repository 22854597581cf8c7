/**
 * The controller's end of one node agent's stream: the handshake, spawning engines, heartbeats,
 * and routing each frame to the engine it concerns. Knows nothing of how the stream was made
 * (child process, SSH channel): launchers hand it a Transport, and on local nodes each engine's
 * direct channel too, which then carries that engine's frames both ways.
 */
import { decodeFrame, encodeFrame, frameEngine, setFrameEngine } from '../protocol/codec'
import { checkFromAgent, checkFromEngine } from '../protocol/guards'
import {
  AGENT,
  PROTOCOL_VERSION,
  type FromAgent,
  type FromEngine,
  type HelloMessage,
  type SpawnMessage,
  type ToAgent,
} from '../protocol/messages'
import type { Transport } from '../protocol/transport'
import { DirectChannels } from './DirectChannels'
import { resultRelay, type ResultRelayEvents } from './resultRelay'
import type { EngineHost } from './EngineHandle'

/** What the agent says about its node in the handshake. */
export type AgentInfo = NonNullable<HelloMessage['agent']>

export interface NodeConnectionEvents extends ResultRelayEvents {
  /**
   * `frame`: the message as it arrived, for relaying to a connected client without re-encoding
   * (a result relayed as it arrived, see resultRelay: only its head).
   */
  onEngineMessage(engine: number, message: FromEngine, frame: Uint8Array): void
  onAgentMessage(message: FromAgent): void
  /** The stream ended or the agent stopped answering heartbeats. */
  onLost(reason: string): void
}

/** Raised when the other end is not a compatible agent. */
export class HandshakeError extends Error {
  override name = 'HandshakeError'
}

export interface NodeConnectionOptions {
  /** A short name for messages and the GUI, e.g. `local` or `ssh://bo@lab1:22`. */
  label: string
  /** Heartbeat period in ms (default 2000); the node counts as lost after `missedBeats` unanswered. */
  heartbeatMs?: number
  /** Unanswered heartbeats before the node counts as lost (default 10). */
  missedBeats?: number
}

export class NodeConnection implements EngineHost {
  readonly label: string
  agent: AgentInfo | null = null
  private events: NodeConnectionEvents | null = null
  private helloWaiter: { resolve(info: AgentInfo): void; reject(err: Error): void } | null = null
  private heartbeat: NodeJS.Timeout | null = null
  private lastPong = Date.now()
  private seq = 0
  private open = true
  private closeWaiters: Array<() => void> = []
  private active = true
  /** Connected clients' large results, passed on as they arrive (from engines this node started). */
  private readonly relay = resultRelay((engine) => this.engines.has(engine) && !this.stopped.has(engine), () => this.events)
  /** Local engines' direct channels: their frames go both ways there while open. */
  private readonly directs = new DirectChannels({
    relay: this.relay,
    onFrame: (frame) => this.frame(frame),
    onExit: (message) => this.events?.onAgentMessage(message),
    sendSwitch: (engine) => this.sendTo(engine, { type: 'directSwitch' }),
  })
  /** Engines this node was asked to start: frames about any other engine are dropped. */
  private readonly engines = new Set<number>()
  /** Engines stopped for an invalid message: what else they send is dropped unreported. */
  private readonly stopped = new Set<number>()

  constructor(
    private readonly transport: Transport,
    private readonly options: NodeConnectionOptions,
  ) {
    this.label = options.label
    transport.setHandlers({
      relay: this.relay,
      onFrame: (frame) => this.frame(frame),
      onClose: (error) => this.closed(error),
    })
  }

  get host(): string {
    return this.agent?.host ?? this.label
  }

  get isOpen(): boolean {
    return this.open
  }

  /** Exchanges `hello` with the agent; rejects on a version mismatch, a closed stream or a timeout. */
  handshake(timeoutMs = 20000): Promise<AgentInfo> {
    return new Promise<AgentInfo>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.helloWaiter = null
        reject(new HandshakeError(`${this.label}: the node agent did not answer within ${timeoutMs} ms`))
      }, timeoutMs)
      this.helloWaiter = {
        resolve: (info) => {
          clearTimeout(timer)
          resolve(info)
        },
        reject: (err) => {
          clearTimeout(timer)
          reject(err)
        },
      }
      this.sendAgent({ type: 'hello', version: PROTOCOL_VERSION })
    })
  }

  /** Asks the agent to start engines with these global ids. */
  spawn(engines: number[], options: Omit<SpawnMessage, 'type' | 'engines'> = {}): void {
    for (const engine of engines) this.engines.add(engine)
    const set = Object.entries(options).filter(([, value]) => value !== undefined && value !== '')
    this.sendAgent({ type: 'spawn', engines, ...Object.fromEntries(set) })
  }

  /**
   * Sends one frame to an engine: over its direct channel when it has one, else through the agent.
   * `engine` is written into the frame's header (a load-balanced task is encoded before its engine
   * is known); without it, the header's engine is used.
   */
  send(chunks: Uint8Array[], engine = frameEngine(chunks[0])): void {
    setFrameEngine(chunks[0], engine)
    const direct = this.directs.transportFor(engine)
    if (direct) direct.send(chunks)
    else this.transport.send(chunks)
  }

  /**
   * Takes an engine's direct channel (from the launcher). Its frames are handled like the agent
   * stream's; the `directSwitch` sent through the agent tells the engine that later frames come
   * this way, so it reads them only after everything sent through the agent before.
   */
  attachDirect(engine: number, transport: Transport): void {
    this.directs.attach(engine, transport, this.open && this.engines.has(engine), this.active)
  }

  signal(engine: number, signal: 'SIGINT' | 'SIGTERM' | 'SIGKILL'): void {
    this.sendAgent({ type: 'signal', engine, signal })
  }

  /** Keeps the process alive while work is pending, and lets it exit when idle. */
  setActive(active: boolean): void {
    this.active = active
    if (active) this.transport.ref?.()
    else this.transport.unref?.()
    this.directs.setActive(active)
  }

  /** Asks the agent to stop its engines and exit; resolves when the stream has closed. */
  shutdown(timeoutMs = 5000): Promise<void> {
    if (!this.open) return Promise.resolve()
    // Keep the process alive until the agent is gone, even if the client had let it idle.
    this.setActive(true)
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.transport.close()
        resolve()
      }, timeoutMs)
      timer.unref()
      this.closeWaiters.push(() => {
        clearTimeout(timer)
        resolve()
      })
      this.sendAgent({ type: 'shutdown' })
    })
  }

  setEvents(events: NodeConnectionEvents): void {
    this.events = events
  }

  private startHeartbeat(): void {
    const period = this.options.heartbeatMs ?? 2000
    const missed = this.options.missedBeats ?? 10
    this.lastPong = Date.now()
    this.heartbeat = setInterval(() => {
      if (Date.now() - this.lastPong > period * missed) {
        this.lost(`no heartbeat answer for ${Math.round((Date.now() - this.lastPong) / 1000)} s`)
        this.transport.close()
        return
      }
      this.sendAgent({ type: 'ping', seq: ++this.seq })
    }, period)
    this.heartbeat.unref()
  }

  private sendAgent(message: ToAgent): void {
    if (this.open) this.transport.send(encodeFrame(AGENT, message))
  }

  /** A message for an engine that must go through the agent, whatever channels it has. */
  private sendTo(engine: number, message: { type: 'directSwitch' }): void {
    if (this.open) this.transport.send(encodeFrame(engine, message))
  }

  private frame(frame: Uint8Array): void {
    let decoded: { engine: number; message: unknown }
    try {
      decoded = decodeFrame<unknown>(frame)
    } catch (err) {
      return this.invalid(frameEngine(frame), `a frame that cannot be decoded (${(err as Error).message})`)
    }
    const { engine, message } = decoded
    if (engine !== AGENT && !this.engines.has(engine)) return this.report(`dropped a message about engine ${engine}, which this node did not start`)
    const problem = engine === AGENT ? checkFromAgent(message) : checkFromEngine(message)
    if (problem) return this.invalid(engine, problem)
    if (engine !== AGENT) {
      if ((message as FromEngine).type === 'directOpened') return this.directs.opened(engine)
      this.events?.onEngineMessage(engine, message as FromEngine, frame)
      return
    }
    const msg = message as FromAgent
    if ((msg.type === 'engineExit' || msg.type === 'engineStarted') && !this.engines.has(msg.engine)) {
      return this.report(`dropped the agent's ${msg.type} about engine ${msg.engine}, which this node did not start`)
    }
    if (msg.type === 'engineExit') return this.directs.exit(msg)
    if (msg.type === 'hello') {
      // Only the answer to our hello counts; another one would start a second heartbeat.
      if (!this.helloWaiter) return
      if (msg.version !== PROTOCOL_VERSION || !msg.agent) {
        this.helloWaiter?.reject(
          new HandshakeError(
            `${this.label}: the node agent speaks protocol version ${msg.version}, this controller ${PROTOCOL_VERSION}; ` +
              `update clusterdesk on both ends (the SSH launcher uploads the matching agent)`,
          ),
        )
      } else {
        this.agent = msg.agent
        this.startHeartbeat()
        this.helloWaiter?.resolve(msg.agent)
      }
      this.helloWaiter = null
      return
    }
    if (msg.type === 'pong') {
      this.lastPong = Date.now()
      return
    }
    if (msg.type === 'agentError' && this.helloWaiter) {
      this.helloWaiter.reject(new HandshakeError(`${this.label}: ${msg.message}`))
      this.helloWaiter = null
      return
    }
    this.events?.onAgentMessage(msg)
  }

  private closed(error?: Error): void {
    const reason = error ? `connection failed: ${error.message}` : 'the node agent exited'
    this.helloWaiter?.reject(new HandshakeError(`${this.label}: ${reason} before the handshake`))
    this.helloWaiter = null
    this.lost(reason)
  }

  private lost(reason: string): void {
    if (!this.open) return
    this.open = false
    if (this.heartbeat) clearInterval(this.heartbeat)
    // The agent's last word on each engine comes before the node's loss.
    this.directs.closeAll()
    this.relay.cut()
    for (const w of this.closeWaiters.splice(0)) w()
    this.events?.onLost(reason)
  }

  /**
   * A message that failed its checks. The agent's own stream is not to be trusted after one, so
   * the node is lost with the reason; an engine's is dropped and that engine stopped, so its tasks
   * fail with EngineError instead of waiting for a result that will not come.
   */
  private invalid(engine: number, problem: string): void {
    if (engine === AGENT) {
      const reason = `the node agent sent an invalid message: ${problem}`
      this.helloWaiter?.reject(new HandshakeError(`${this.label}: ${reason}`))
      this.helloWaiter = null
      this.lost(reason)
      this.transport.close()
      return
    }
    if (!this.engines.has(engine)) return this.report(`dropped a message about engine ${engine}, which this node did not start`)
    if (this.stopped.has(engine)) return
    this.stopped.add(engine)
    this.report(`engine ${engine} sent an invalid message (${problem}); stopping it`)
    this.signal(engine, 'SIGKILL')
  }

  /** A node event for the user (the Client shows it like the agent's own errors). */
  private report(message: string): void {
    this.events?.onAgentMessage({ type: 'agentError', message })
  }
}
