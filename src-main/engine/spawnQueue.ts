/**
 * The agent's queue of engines to start. Starting hundreds together starves every process on the
 * node, the agent's heartbeat answers included; so a few per core start at once, and the next
 * starts when one has spoken (its first frame: its startup is done) or died.
 */
import type { SpawnMessage } from '../core/protocol/messages'

const SPAWN_PER_CORE = 2
const MIN_SPAWN_BATCH = 4
/** An engine that has not spoken after this long gives up its place in the batch anyway. */
const SPAWN_SLOT_MS = 10000

interface Queued {
  id: number
  message: SpawnMessage
}

/** Starts one engine; returns a token for `started`, or null when it could not even be forked. */
export type StartEngine<T> = (id: number, message: SpawnMessage) => T | null

export class SpawnQueue<T> {
  private readonly waiting: Queued[] = []
  private readonly starting = new Set<T>()
  private readonly batch: number
  private closed = false

  constructor(cores: number, private readonly start: StartEngine<T>) {
    this.batch = Math.max(MIN_SPAWN_BATCH, SPAWN_PER_CORE * cores)
  }

  /** Is this engine waiting for its turn? */
  has(id: number): boolean {
    return this.waiting.some((queued) => queued.id === id)
  }

  add(id: number, message: SpawnMessage): void {
    if (this.closed) return
    this.waiting.push({ id, message })
  }

  /** Takes a waiting engine out (it never starts); false when it was not waiting. */
  remove(id: number): boolean {
    const i = this.waiting.findIndex((queued) => queued.id === id)
    if (i < 0) return false
    this.waiting.splice(i, 1)
    return true
  }

  /** Starts waiting engines while fewer than a batch are starting. */
  pump(): void {
    while (!this.closed && this.starting.size < this.batch && this.waiting.length > 0) {
      const { id, message } = this.waiting.shift()!
      const token = this.start(id, message)
      if (token === null) continue
      this.starting.add(token)
      // One engine stuck in its startup must not hold back the rest (its start timeout reports it).
      setTimeout(() => this.started(token), SPAWN_SLOT_MS).unref()
    }
  }

  /** An engine spoke (or died before it could): the next one may start. */
  started(token: T): void {
    // After this turn, so that answering pings and relaying frames come between batches.
    if (this.starting.delete(token)) setImmediate(() => this.pump())
  }

  /** Nothing more starts (the agent is stopping). */
  close(): void {
    this.closed = true
    this.waiting.length = 0
  }
}
