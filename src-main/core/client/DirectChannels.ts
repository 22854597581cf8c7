/**
 * The direct channels of one node's engines (local engines' private sockets to the controller):
 * which engine has one, carrying its frames both ways while open, and the engine exits held back
 * until the channel has delivered its last frames. NodeConnection owns one and asks it where a
 * frame goes.
 */
import { frameEngine } from '../protocol/codec'
import type { EngineExitMessage } from '../protocol/messages'
import type { Transport } from '../protocol/transport'
import type { ResultRelay } from './resultRelay'

/**
 * After the agent reported an engine's exit, how long to wait for the engine's direct channel to
 * deliver its last frames (and close) before the exit is processed anyway.
 */
const DIRECT_DRAIN_MS = 500

/** A direct channel: announced by the engine through the agent, then attached, then closed. */
type DirectState = { transport: Transport | null; closed: boolean }

export interface DirectChannelHooks {
  /** Offered the large frames of the channels (only each engine's own); cut when one closes. */
  relay: ResultRelay
  /** A frame that arrived on an engine's channel (only that engine's own frames). */
  onFrame(frame: Uint8Array): void
  /** An engine's exit, once its channel has said its last (or was never there). */
  onExit(message: EngineExitMessage): void
  /** Tells the engine, through the agent, that its frames now come over the channel. */
  sendSwitch(engine: number): void
}

export class DirectChannels {
  private readonly directs = new Map<number, DirectState>()
  private attached = 0
  /** Exit reports waiting for the engine's direct channel to close. */
  private readonly heldExits = new Map<number, { message: EngineExitMessage; timer: NodeJS.Timeout }>()
  /** Engines whose exit was reported: a late direct channel of theirs is refused. */
  private readonly exited = new Set<number>()

  constructor(private readonly hooks: DirectChannelHooks) {}

  /** The open channel of `engine`, if it has one (cheap when no engine has one). */
  transportFor(engine: number): Transport | null {
    return this.attached > 0 ? (this.directs.get(engine)?.transport ?? null) : null
  }

  /** The engine announced (through the agent) that it opened a channel. */
  opened(engine: number): void {
    // In order with the agent's reports: from here the engine's exit waits for the channel.
    if (!this.directs.has(engine) && !this.exited.has(engine)) this.directs.set(engine, { transport: null, closed: false })
  }

  /** Takes an engine's channel from the launcher; `open`/`active` are the node stream's state. */
  attach(engine: number, transport: Transport, open: boolean, active: boolean): void {
    const known = this.directs.get(engine)
    // An engine whose exit waits for this very channel still gets it; after that it is too late.
    const tooLate = this.exited.has(engine) && !this.heldExits.has(engine)
    if (!open || tooLate || known?.transport || known?.closed) {
      transport.close()
      return
    }
    const state: DirectState = known ?? { transport: null, closed: false }
    state.transport = transport
    this.directs.set(engine, state)
    this.attached++
    const { relay } = this.hooks
    transport.setHandlers({
      // Only the engine's own frames: the channel speaks for that one engine.
      onFrame: (frame) => {
        if (frameEngine(frame) === engine) this.hooks.onFrame(frame)
      },
      relay: { wanted: () => relay.wanted(), sink: (head, size) => (frameEngine(head) === engine ? relay.sink(head, size) : null) },
      onClose: () => this.closed(engine, state),
    })
    if (!active) transport.unref?.()
    this.hooks.sendSwitch(engine)
  }

  /** Processes an exit report now, or once the engine's direct channel has said its last. */
  exit(message: EngineExitMessage): void {
    this.exited.add(message.engine)
    const direct = this.directs.get(message.engine)
    if (!direct || direct.closed) {
      this.directs.delete(message.engine)
      this.hooks.onExit(message)
      return
    }
    const timer = setTimeout(() => this.release(message.engine), DIRECT_DRAIN_MS)
    timer.unref()
    this.heldExits.set(message.engine, { message, timer })
  }

  setActive(active: boolean): void {
    for (const { transport } of this.directs.values()) {
      if (active) transport?.ref?.()
      else transport?.unref?.()
    }
  }

  /** The node is gone: the agent's last word on each engine comes first, then every channel closes. */
  closeAll(): void {
    for (const engine of [...this.heldExits.keys()]) this.release(engine)
    for (const direct of this.directs.values()) direct.transport?.close()
  }

  private closed(engine: number, state: DirectState): void {
    state.closed = true
    this.hooks.relay.cut(engine)
    if (state.transport) {
      state.transport = null
      this.attached--
    }
    // Later frames for the engine go through the agent; its exit report decides what happened.
    this.release(engine)
  }

  private release(engine: number): void {
    const held = this.heldExits.get(engine)
    if (!held) return
    this.heldExits.delete(engine)
    clearTimeout(held.timer)
    const direct = this.directs.get(engine)
    this.directs.delete(engine)
    if (direct?.transport) {
      // Waited long enough: whatever the channel still brings concerns a dead engine.
      direct.transport.close()
      direct.transport = null
      this.attached--
    }
    this.hooks.onExit(held.message)
  }
}
