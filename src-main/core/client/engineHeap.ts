/**
 * The load balancer's choice of engine, in O(log engines) a task: a min-heap of engines keyed by
 * (tasks in flight, id), so that the engine picked is the one a scan would pick — the least
 * loaded, the lowest id among equals. Built once a pump; only the pump sends while it runs, so an
 * engine's load only grows meanwhile, and an entry whose key fell behind (another group of tasks
 * sent to it) is fixed when it reaches the top.
 */
import type { EngineHandle } from './EngineHandle'

interface Entry {
  engine: EngineHandle
  load: number
}

export class EngineHeap {
  private readonly heap: Entry[]

  /**
   * The first `count` responsive engines of `engines` (in their order) that are not `slow`, those
   * with room under `limit`; the slow ones only if every responsive engine is slow.
   */
  constructor(
    engines: readonly EngineHandle[],
    private readonly limit: number,
    count = Infinity,
    slow: (engine: EngineHandle) => boolean = () => false,
  ) {
    this.heap = []
    let taken = 0
    let passed: EngineHandle[] | null = null
    for (const engine of engines) {
      if (taken >= count) break
      // An engine that does not answer keeps its group alive (it may come back) but gets nothing.
      if (!engine.responsive) continue
      if (slow(engine)) {
        ;(passed ??= []).push(engine)
        continue
      }
      taken++
      this.add(engine)
    }
    if (taken === 0 && passed) for (const engine of passed) this.add(engine)
    for (let i = (this.heap.length >> 1) - 1; i >= 0; i--) this.down(i)
  }

  private add(engine: EngineHandle): void {
    if (engine.inflight.size < this.limit) this.heap.push({ engine, load: engine.inflight.size })
  }

  /** The least loaded engine with room, or null. */
  peek(): EngineHandle | null {
    for (;;) {
      const top = this.heap[0]
      if (!top) return null
      const load = top.engine.inflight.size
      if (load === top.load) return top.engine
      if (load >= this.limit) this.pop()
      else {
        top.load = load
        this.down(0)
      }
    }
  }

  /** The top engine was sent a task: its key moves (out of the heap once it is full). */
  sent(): void {
    const top = this.heap[0]
    top.load = top.engine.inflight.size
    if (top.load >= this.limit) this.pop()
    else this.down(0)
  }

  private pop(): void {
    const last = this.heap.pop()!
    if (this.heap.length === 0) return
    this.heap[0] = last
    this.down(0)
  }

  private less(a: Entry, b: Entry): boolean {
    return a.load < b.load || (a.load === b.load && a.engine.id < b.engine.id)
  }

  private down(i: number): void {
    const h = this.heap
    const n = h.length
    for (;;) {
      const l = 2 * i + 1
      const r = l + 1
      let m = i
      if (l < n && this.less(h[l], h[m])) m = l
      if (r < n && this.less(h[r], h[m])) m = r
      if (m === i) return
      ;[h[i], h[m]] = [h[m], h[i]]
      i = m
    }
  }
}
