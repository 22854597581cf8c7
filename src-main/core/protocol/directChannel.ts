/**
 * A local engine's direct channel to the controller, which spares data the relay through the node
 * agent (two kernel copies and the agent's CPU). The agent keeps every other role; its stream
 * stays the authority on an engine's life, and its order decides when the direct channel's input
 * starts (see `directSwitch`).
 *
 * The engine side is a Transport made of the relay (fd 3) and the direct channel: everything it
 * sends goes over the direct channel once connected; it reads both, but direct input only after
 * the `directSwitch` message came through the relay.
 */
import { decodeFrame } from './codec'
import type { Transport, TransportHandlers } from './transport'

/** Environment variable that carries a direct channel's address from launcher to agent to engine. */
export const DIRECT_ENV = 'CLUSTERDESK_DIRECT'

/** Where an engine connects, and the secret its hello must carry. */
export interface DirectAddress {
  /** Unix-domain socket path (a named pipe on Windows). */
  path: string
  token: string
}

export function formatDirectAddress(address: DirectAddress): string {
  return JSON.stringify(address)
}

/** Parses the env value; null when it is absent or malformed (the engine then stays on the relay). */
export function parseDirectAddress(value: string | undefined): DirectAddress | null {
  if (!value) return null
  try {
    const parsed = JSON.parse(value) as Partial<DirectAddress>
    return typeof parsed.path === 'string' && typeof parsed.token === 'string' && parsed.path && parsed.token
      ? { path: parsed.path, token: parsed.token }
      : null
  } catch {
    return null
  }
}

/** The switch message is tiny; larger relay frames are not decoded to look for it. */
const SWITCH_FRAME_MAX = 64

/** The engine's end: the relay plus, once connected, the direct channel. */
export class EngineChannels implements Transport {
  private handlers: TransportHandlers | null = null
  /** Where frames go; null until the direct connect succeeded or failed (frames wait in order). */
  private out: Transport | null = null
  private readonly unsent: Uint8Array[][] = []
  private direct: Transport | null = null
  /** Direct input waits here until the switch arrives on the relay. */
  private held: Uint8Array[] | null = []

  constructor(private readonly relay: Transport) {}

  setHandlers(handlers: TransportHandlers): void {
    this.handlers = handlers
    this.relay.setHandlers({
      onFrame: (frame) => this.fromRelay(frame),
      onClose: (error) => handlers.onClose(error),
    })
  }

  /**
   * Output goes over `direct` from now on: first `hello` (on it), then `opened` (on the relay, so
   * the controller learns it in order with the agent's reports), then what waited.
   */
  useDirect(direct: Transport, hello: Uint8Array[], opened: Uint8Array[]): void {
    this.direct = direct
    direct.setHandlers({
      onFrame: (frame) => (this.held ? this.held.push(frame) : this.handlers?.onFrame(frame)),
      onClose: (error) => this.handlers?.onClose(new Error(`the direct channel to the controller ${error ? `failed: ${error.message}` : 'closed'}`)),
    })
    direct.send(hello)
    this.relay.send(opened)
    this.flushTo(direct)
  }

  /** No direct channel: output stays on the relay, as before there were direct channels. */
  useRelay(): void {
    this.held = null
    this.flushTo(this.relay)
  }

  send(chunks: Uint8Array[]): void {
    if (this.out) this.out.send(chunks)
    else this.unsent.push(chunks)
  }

  close(): void {
    this.relay.close()
    this.direct?.close()
  }

  ref(): void {
    this.relay.ref?.()
    this.direct?.ref?.()
  }

  unref(): void {
    this.relay.unref?.()
    this.direct?.unref?.()
  }

  private flushTo(out: Transport): void {
    this.out = out
    for (const chunks of this.unsent.splice(0)) out.send(chunks)
  }

  private fromRelay(frame: Uint8Array): void {
    if (this.held && frame.byteLength <= SWITCH_FRAME_MAX && isSwitch(frame)) {
      const held = this.held
      this.held = null
      for (const f of held) this.handlers?.onFrame(f)
      return
    }
    this.handlers?.onFrame(frame)
  }
}

function isSwitch(frame: Uint8Array): boolean {
  try {
    return (decodeFrame<{ type?: unknown }>(frame).message as { type?: unknown } | null)?.type === 'directSwitch'
  } catch {
    return false
  }
}
