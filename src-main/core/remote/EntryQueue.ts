/**
 * The entries of `submit` / `done` messages whose frames are still to come, in order: whole
 * batches as they were decoded, read through with an index. (`Array.prototype.shift` on a batch of
 * tens of thousands of entries moves all the others each time: quadratic for one large map.)
 */
export class EntryQueue<T> {
  private readonly batches: T[][] = []
  private batch: T[] = []
  private at = 0
  size = 0

  push(entries: T[]): void {
    if (entries.length === 0) return
    if (this.at === this.batch.length) {
      this.batch = entries
      this.at = 0
    } else this.batches.push(entries)
    this.size += entries.length
  }

  /** The next entry; only when `size > 0`. */
  shift(): T {
    const entry = this.batch[this.at++]
    this.size--
    if (this.at === this.batch.length && this.batches.length > 0) {
      this.batch = this.batches.shift()!
      this.at = 0
    }
    return entry
  }
}
