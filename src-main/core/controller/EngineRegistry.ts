/**
 * The controller's engines: one EngineHandle per engine id (dead ones kept, with their exit), the
 * nodes they live on, and waiting for engines to register or exit.
 */
import { type BatchJobInfo, EngineHandle, type EngineExit, type EngineInfo } from '../client/EngineHandle'
import { NoEnginesError } from '../client/errors'
import type { NodeConnection } from '../client/NodeConnection'
import type { Task } from '../client/Task'

export interface RegistryEvents {
  onEngineChange(engine: EngineHandle): void
  onStream(engine: EngineHandle, taskId: number, name: 'stdout' | 'stderr', text: string): void
  /** An engine died holding these tasks (they are to be retried or failed). */
  onEngineDied(engine: EngineHandle, tasks: Task[]): void
}

export class EngineRegistry {
  readonly nodes: NodeConnection[] = []
  private readonly handles = new Map<number, EngineHandle>()
  /** Every handle in id order, and the live ones: kept, as the balancer reads them at every dispatch. */
  private ordered: EngineHandle[] = []
  private liveList: EngineHandle[] | null = null
  private readonly liveSet = new Set<EngineHandle>()
  private readonly waiters = new Set<() => void>()

  constructor(
    /** A batch node's job as last reported, for engines expected after the report. */
    private readonly jobOf: (node: NodeConnection) => BatchJobInfo | null,
    private readonly events: RegistryEvents,
  ) {}

  get(id: number): EngineHandle | undefined {
    return this.handles.get(id)
  }

  /** Every engine known, in id order. */
  info(): EngineInfo[] {
    return this.ordered.map((h) => h.info())
  }

  /** Live, registered engines, in id order (the same array until one comes or goes: do not change it). */
  live(): readonly EngineHandle[] {
    this.liveList ??= this.ordered.filter((h) => this.liveSet.has(h))
    return this.liveList
  }

  /** Ids of the live, registered engines, ascending. */
  liveIds(): number[] {
    return this.live().map((h) => h.id)
  }

  /** Registers engine ids that `node` is about to start. */
  expect(node: NodeConnection, ids: number[]): void {
    for (const id of ids) {
      const handle = new EngineHandle(id, node)
      handle.job = this.jobOf(node)
      handle.onChange = (h) => {
        this.track(h)
        this.events.onEngineChange(h)
      }
      handle.onStream = (h, msg) => this.events.onStream(h, msg.id, msg.name, msg.text)
      this.handles.set(id, handle)
    }
    this.ordered = [...this.handles.values()].sort((a, b) => a.id - b.id)
    this.liveList = null
  }

  /** Keeps the live list up to date on a change of state (O(1) unless the engine came or went). */
  private track(h: EngineHandle): void {
    const live = h.alive && h.state !== 'starting'
    if (live === this.liveSet.has(h)) return
    if (live) this.liveSet.add(h)
    else this.liveSet.delete(h)
    this.liveList = null
  }

  registered(id: number, pid: number, heapLimitMB?: number): void {
    const handle = this.handles.get(id)
    if (handle) {
      handle.registered(pid, heapLimitMB)
      this.track(handle)
    }
    this.wake()
  }

  /** The scheduler's latest word on a batch node's job, for each of its live engines. */
  jobState(node: NodeConnection, job: BatchJobInfo): void {
    for (const handle of this.handles.values()) if (handle.node === node && handle.alive) handle.jobState(job)
  }

  died(id: number, exit: EngineExit): void {
    const handle = this.handles.get(id)
    if (!handle) return
    const tasks = handle.died(exit)
    this.track(handle)
    this.events.onEngineDied(handle, tasks)
    this.wake()
  }

  /** Every live engine of `node` dies with `reason`. */
  nodeGone(node: NodeConnection, reason: string): void {
    for (const handle of this.handles.values()) {
      if (handle.node === node && handle.alive) this.died(handle.id, { code: null, signal: null, stderrTail: '', reason })
    }
  }

  /** Resolves when every given engine has registered; rejects if one dies first or time runs out. */
  waitForEngines(ids: number[], timeoutMs: number): Promise<void> {
    return this.waitFor(timeoutMs, () => {
      const handles = ids.map((id) => this.handles.get(id)!)
      const dead = handles.filter((h) => h.state === 'dead')
      if (dead.length) {
        const why = dead.map((h) => `engine ${h.id} on ${h.node.label}: ${h.deathError('start').evalue}`)
        throw new NoEnginesError(`engines failed to start:\n  ${why.join('\n  ')}`)
      }
      return handles.every((h) => h.state !== 'starting')
    }, () => {
      const slow = ids.filter((id) => this.handles.get(id)?.state === 'starting')
      return new NoEnginesError(`engines ${slow.join(', ')} did not register within ${timeoutMs} ms`)
    })
  }

  /** Resolves when the engine has died (used to stop one engine); rejects after `timeoutMs`. */
  waitForExit(id: number, timeoutMs: number): Promise<void> {
    return this.waitFor(timeoutMs, () => !this.handles.get(id)?.alive, () => new Error(`engine ${id} did not exit within ${timeoutMs} ms`))
  }

  /** `check` is re-run on every registration and death: true resolves, a throw rejects. */
  private waitFor(timeoutMs: number, check: () => boolean, timeout: () => Error): Promise<void> {
    return new Promise((resolve, reject) => {
      const finish = (err?: Error): void => {
        clearTimeout(timer)
        this.waiters.delete(waiter)
        if (err) reject(err)
        else resolve()
      }
      const waiter = (): void => {
        try {
          if (check()) finish()
        } catch (err) {
          finish(err as Error)
        }
      }
      const timer = setTimeout(() => finish(timeout()), timeoutMs)
      this.waiters.add(waiter)
      waiter()
    })
  }

  private wake(): void {
    for (const w of [...this.waiters]) w()
  }
}
