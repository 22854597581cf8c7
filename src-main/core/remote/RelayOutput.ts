/**
 * A connected client's outgoing frames, in order, with result frames relayed while they still
 * arrive from their engine. A frame cannot be interleaved with others: what is sent while one is
 * being relayed waits behind it (messages, and later relays, whose bytes are kept as they come),
 * and goes out once it is complete.
 */
import type { Transport } from '../protocol/transport'

/** One frame being relayed: `left` bytes still to come. */
export class Relay {
  /** Arrived while something before it was still going out. */
  pieces: Uint8Array[] = []

  constructor(
    private readonly output: RelayOutput,
    public left: number,
  ) {}

  /** The frame's next bytes. */
  push(bytes: Uint8Array): void {
    this.output.relayed(this, bytes)
  }

  /** Its source went away mid-frame: the rest is zeros, so the stream stays whole. */
  pad(): void {
    if (this.left > 0) this.push(new Uint8Array(this.left))
  }
}

export class RelayOutput {
  /** Empty when nothing is being relayed; else the first is the relay going out now. */
  private readonly queue: Array<Uint8Array[] | Relay> = []
  private closed = false

  constructor(private readonly transport: Transport) {}

  send(chunks: Uint8Array[]): void {
    if (this.closed) return
    if (this.queue.length === 0) this.transport.send(chunks)
    else this.queue.push(chunks)
  }

  /** Sends `announce`, then relays the `size` bytes of a frame as they are pushed. */
  relay(announce: Uint8Array[], size: number): Relay {
    this.send(announce)
    const relay = new Relay(this, size)
    this.queue.push(relay)
    return relay
  }

  /** The connection is gone: nothing more goes out. */
  close(): void {
    this.closed = true
    this.queue.length = 0
  }

  /** For Relay.push. */
  relayed(relay: Relay, bytes: Uint8Array): void {
    relay.left -= bytes.byteLength
    if (this.closed) return
    if (this.queue[0] !== relay) {
      relay.pieces.push(bytes)
      return
    }
    this.transport.send([bytes])
    if (relay.left === 0) this.drain()
  }

  /** The relay going out is complete: what waited for it follows, up to a relay still arriving. */
  private drain(): void {
    while (this.queue.length > 0) {
      const head = this.queue[0]
      if (Array.isArray(head)) {
        this.queue.shift()
        this.transport.send(head)
        continue
      }
      if (head.pieces.length > 0) this.transport.send(head.pieces.splice(0))
      if (head.left > 0) return
      this.queue.shift()
    }
  }
}
