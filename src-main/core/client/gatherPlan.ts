/**
 * Where a gather's large typed-array shares land: straight in the joined array. Each engine's
 * result is received into its own slot of one buffer (FrameReader places it there as it arrives,
 * see placement.ts placeFrame), so the shares are neither received into frames of their own nor copied
 * again to be joined: every byte is written once, into memory that is touched once.
 *
 * The shares' sizes are known only as each arrives, so slots are as large as the first share plus
 * one element (block partitions differ by at most one); joining closes the gaps in place. When the
 * first share to arrive is the first one, no later share is larger (block partitions give the
 * extra elements to the first engines): slots are its size, and equal shares need no moving. Any
 * share that does not fit (another kind, larger, a list, small enough to arrive inline) leaves the
 * gather to concatParts, as before.
 */
import type { RawSection, TypedKind } from '../protocol/codec'
import { placeResult, unplaceResult } from '../protocol/placement'
import type { AsyncResult } from './AsyncResult'
import { concatParts, isTypedArray } from './partition'
import type { Task } from './Task'

export class GatherPlan {
  private buffer: ArrayBuffer | null = null
  private kind: TypedKind | null = null
  private slot = 0
  private readonly placed: boolean[]
  private closed = false

  constructor(private readonly tasks: Task[]) {
    this.placed = tasks.map(() => false)
    tasks.forEach((task, i) => placeResult(task.id, (engine, message, sections) => this.place(i, engine, message, sections)))
  }

  /** Stops offering the tasks' results once `result` is settled, however it ends. */
  until(result: AsyncResult<unknown>): void {
    void result.wait().then(() => this.close())
  }

  /** The gathered value: the placed shares joined in place, or concatParts of the values. */
  join(values: unknown[]): unknown {
    this.close()
    const buffer = this.buffer
    const Kind = this.kind
    if (buffer === null || Kind === null || !values.every((v, i) => this.isPlaced(v, i))) return concatParts(values)
    const bytes = new Uint8Array(buffer)
    let at = 0
    values.forEach((v, i) => {
      const length = (v as ArrayBufferView).byteLength
      if (i * this.slot !== at) bytes.copyWithin(at, i * this.slot, i * this.slot + length)
      at += length
    })
    return new Kind(buffer, 0, at / Kind.BYTES_PER_ELEMENT)
  }

  private close(): void {
    if (this.closed) return
    this.closed = true
    for (const task of this.tasks) unplaceResult(task.id)
  }

  private isPlaced(value: unknown, i: number): boolean {
    return isTypedArray(value) && value.constructor === this.kind && value.buffer === this.buffer && value.byteOffset === i * this.slot && this.placed[i]
  }

  private place(i: number, engine: number, message: unknown, sections: RawSection[]): Uint8Array[] | null {
    const result = message as { status?: unknown; value?: unknown }
    const section = sections[0]
    if (this.closed || this.placed[i] || engine !== this.tasks[i].meta.engineId) return null
    if (sections.length !== 1 || result.status !== 'ok' || result.value !== section) return null
    if (this.buffer === null) {
      this.kind = section.kind
      this.slot = section.byteLength + (i === 0 ? 0 : section.kind.BYTES_PER_ELEMENT)
      this.buffer = new ArrayBuffer(this.slot * this.tasks.length)
    }
    if (section.kind !== this.kind || section.byteLength > this.slot) return null
    this.placed[i] = true
    return [new Uint8Array(this.buffer, i * this.slot, section.byteLength)]
  }
}
