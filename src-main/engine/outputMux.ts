/**
 * Interleaves whole frames from several sources (each engine, and the agent itself) onto the one
 * output stream without decoding or reassembling them.
 *
 * Engines' bytes arrive in pieces that may end inside a frame; once a piece of a frame is on the
 * wire, that source holds the stream until the frame's last byte is written, and the other
 * sources wait (their pieces queued, their reading paused when too much is queued). Contiguous
 * pieces of one chunk are merged back, so many small frames go out as one write.
 */

/** A source whose reading can be paused (an engine's socket). */
export interface MuxSource {
  pause(): void
  resume(): void
}

/** Bytes one source has queued while another holds the stream, before that source is paused. */
const LANE_LIMIT = 1 << 20
/** Output bytes buffered in the stream before every source is paused until it drains. */
const OUTPUT_HIGH_WATER = 4 << 20

/** One source's queue of pieces. */
export class Lane {
  readonly pieces: Uint8Array[] = []
  bytes = 0
  /** After its queued pieces are written, the stream is inside one of this source's frames. */
  midFrame = false
  queued = false
  paused = false

  constructor(readonly source: MuxSource | null) {}

  add(piece: Uint8Array, endsFrame: boolean): void {
    const last = this.pieces.length > 0 ? this.pieces[this.pieces.length - 1] : null
    if (last !== null && last.buffer === piece.buffer && last.byteOffset + last.byteLength === piece.byteOffset) {
      this.pieces[this.pieces.length - 1] = new Uint8Array(last.buffer, last.byteOffset, last.byteLength + piece.byteLength)
    } else {
      this.pieces.push(piece)
    }
    this.bytes += piece.byteLength
    this.midFrame = !endsFrame
  }
}

/** Where the multiplexed bytes go; `writableLength` and 'drain' give the backpressure. */
export interface MuxOutput {
  send(chunks: Uint8Array[]): void
  readonly writableLength: number
  once(event: 'drain', listener: () => void): unknown
}

export class OutputMux {
  private readonly lanes = new Set<Lane>()
  private readonly ready: Lane[] = []
  /** The lane whose frame is partly written. */
  private owner: Lane | null = null
  private blocked = false
  private readonly own = this.lane(null)

  constructor(private readonly output: MuxOutput) {}

  lane(source: MuxSource | null): Lane {
    const lane = new Lane(source)
    this.lanes.add(lane)
    return lane
  }

  /** Forgets a lane whose source is gone; its queued pieces are still written first. */
  close(lane: Lane): void {
    this.lanes.delete(lane)
  }

  /** Queues a piece of `lane`'s current frame; call `flush()` once a chunk has been handled. */
  add(lane: Lane, piece: Uint8Array, endsFrame: boolean): void {
    lane.add(piece, endsFrame)
    if (lane === this.owner) return
    if (!lane.queued) {
      lane.queued = true
      this.ready.push(lane)
    }
    if (lane.bytes > LANE_LIMIT && !lane.paused && lane.source) {
      lane.paused = true
      lane.source.pause()
    }
  }

  /** Sends one whole frame of the agent's own. */
  sendFrame(chunks: Uint8Array[]): void {
    for (let i = 0; i < chunks.length; i++) this.add(this.own, chunks[i], i === chunks.length - 1)
    this.flush()
  }

  flush(): void {
    if (this.owner !== null) {
      this.write(this.owner)
      if (this.owner.midFrame) return this.checkBackpressure()
      this.owner = null
    }
    while (this.ready.length > 0) {
      const lane = this.ready.shift()!
      lane.queued = false
      this.write(lane)
      if (lane.midFrame) {
        this.owner = lane
        break
      }
    }
    this.checkBackpressure()
  }

  private write(lane: Lane): void {
    if (lane.pieces.length === 0) return
    this.output.send(lane.pieces)
    lane.pieces.length = 0
    lane.bytes = 0
    if (lane.paused && !this.blocked) {
      lane.paused = false
      lane.source?.resume()
    }
  }

  private checkBackpressure(): void {
    if (this.blocked || this.output.writableLength < OUTPUT_HIGH_WATER) return
    this.blocked = true
    for (const lane of this.lanes) lane.source?.pause()
    this.output.once('drain', () => {
      this.blocked = false
      for (const lane of this.lanes) {
        lane.paused = lane.bytes > LANE_LIMIT && lane !== this.owner
        if (!lane.paused) lane.source?.resume()
      }
      this.flush()
    })
  }
}
