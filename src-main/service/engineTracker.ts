/**
 * What the GUI shows of each engine: the client's facts (state, pid, tasks done, busy time) plus
 * the node it belongs to, its busy share, its memory and the tail of its output. A dead engine
 * keeps its exit and last output until its node is stopped or too many dead ones pile up.
 */
import type { Client } from '../core/client/Client'
import type { EngineInfo } from '../core/client/EngineHandle'
import type { Task } from '../core/client/Task'
import type { EngineUpdate, EngineView, OutputLine } from './api'
import type { EventBus } from './eventBus'
import { readRss } from './memory'
import { OutputTail } from './outputTail'

/** The node record an engine belongs to, found from its node's cluster key. */
export interface EngineNode {
  nodeId: string
  nodeName: string
  /** Local engines' memory can be read from /proc. */
  local: boolean
}

export interface EngineTrackerOptions {
  /** How often memory and busy share are refreshed (default 2000 ms). */
  tickMs?: number
  /** Dead engines kept for their exit and output (default 64); older ones are dropped. */
  keepDead?: number
}

/** The busy share shown for an engine is over this much recent time. */
const BUSY_WINDOW_MS = 10_000

interface Tracked {
  info: EngineInfo
  /** Null until the node's start has finished and its key is known. */
  node: EngineNode | null
  startedAt: number
  /** Since when it has been busy without a break, and its busy time then (for a live busy share). */
  busySince: number | null
  busyAtStreak: number
  memory: number | null
  tail: OutputTail
  diedAt: number | null
  /** (time, busy ms) samples of the last BUSY_WINDOW_MS, oldest first: the busy share is over them. */
  recent: Array<[number, number]>
}

export class EngineTracker {
  private readonly engines = new Map<number, Tracked>()
  /** Engines forgotten on purpose: the client still lists them (dead), but they stay gone. */
  private readonly removed = new Set<number>()
  private readonly timer: NodeJS.Timeout
  private readonly keepDead: number
  private client: Client | null = null
  /** The client's engines by id, read once for a whole batch of updates; dropped at every event (see `fresh`). */
  private freshById: Map<number, EngineInfo> | null = null
  private unsubscribe: (() => void) | null = null

  constructor(
    private readonly bus: EventBus,
    private readonly nodeOf: (nodeKey: string) => EngineNode | null,
    options: EngineTrackerOptions = {},
  ) {
    this.keepDead = options.keepDead ?? 64
    this.timer = setInterval(() => this.tick(), options.tickMs ?? 2000)
    this.timer.unref()
  }

  /** Follows a client's engines (once; the cluster keeps one client for its life). */
  attach(client: Client): void {
    if (this.client === client) return
    this.client = client
    this.freshById = null
    this.unsubscribe = client.subscribe({
      onEngineChange: (info) => {
        this.freshById = null
        this.update(info)
      },
      onStream: (engineId, taskId, name, text) => this.output(engineId, this.engines.get(engineId)?.tail.stream(taskId, name, text)),
      onTaskDone: (task) => {
        this.freshById = null
        this.taskDone(task)
      },
    })
    this.sync()
  }

  /**
   * Follows another cluster's client instead (attaching to a profile, or back to the app's own):
   * the engines shown so far are dropped first, as engine ids of two clusters overlap.
   */
  switchTo(client: Client): void {
    if (this.client === client) return
    this.unsubscribe?.()
    this.unsubscribe = null
    this.client = null
    const gone = [...this.engines.keys()]
    this.engines.clear()
    this.removed.clear()
    if (gone.length) this.bus.publish({ type: 'enginesRemoved', engineIds: gone })
    this.attach(client)
  }

  /** Catches up with engines that changed before the client could be followed, or whose node just became known. */
  sync(): void {
    for (const info of this.client?.engines ?? []) {
      const t = this.engines.get(info.id)
      if (!t || t.info.state !== info.state || t.node === null) this.update(info)
    }
  }

  /** An engine's view; null if unknown, or while its node is still starting. */
  view(id: number): EngineView | null {
    const t = this.engines.get(id)
    const update = t && this.updateOf(t)
    return update ? { ...update, output: t.tail.snapshot() } : null
  }

  views(): EngineView[] {
    return [...this.engines.keys()]
      .sort((a, b) => a - b)
      .map((id) => this.view(id))
      .filter((v) => v !== null)
  }

  /** Ids of the engines of a node (dead ones included). */
  idsOf(nodeId: string): number[] {
    return [...this.engines.values()].filter((t) => this.nodeFor(t)?.nodeId === nodeId).map((t) => t.info.id)
  }

  nodeNameOf(engineId: number): string | null {
    const t = this.engines.get(engineId)
    return (t && this.nodeFor(t)?.nodeName) ?? null
  }

  /** Forgets engines (their node was stopped, or they were replaced by a restart). */
  remove(ids: number[]): void {
    for (const id of ids) this.removed.add(id)
    const gone = ids.filter((id) => this.engines.delete(id))
    if (gone.length) this.bus.publish({ type: 'enginesRemoved', engineIds: gone })
  }

  /** Forgets dead engines of a node that failed to start (they were never shown). */
  forgetOrphans(): void {
    for (const [id, t] of this.engines) if (t.node === null && t.info.state === 'dead' && this.nodeFor(t) === null) this.engines.delete(id)
  }

  close(): void {
    clearInterval(this.timer)
  }

  private update(info: EngineInfo): void {
    if (this.removed.has(info.id)) return
    let t = this.engines.get(info.id)
    if (!t) {
      t = { info, node: null, startedAt: Date.now(), busySince: null, busyAtStreak: 0, memory: null, tail: new OutputTail(), diedAt: null, recent: [] }
      this.engines.set(info.id, t)
    }
    const wasBusy = t.info.state === 'busy' || t.info.state === 'interrupting'
    const busy = info.state === 'busy' || info.state === 'interrupting'
    if (busy && !wasBusy) {
      t.busySince = Date.now()
      t.busyAtStreak = info.busyMs
    } else if (!busy) t.busySince = null
    t.info = info
    if (info.state === 'dead' && t.diedAt === null) this.died(t)
    if (t.memory === null && this.nodeFor(t)?.local && info.pid !== null && info.state !== 'dead') t.memory = readRss(info.pid)
    this.changed(info.id)
  }

  private died(t: Tracked): void {
    t.diedAt = Date.now()
    t.memory = null
    const last = t.info.exit?.stderrTail.trim()
    this.output(t.info.id, last ? t.tail.append('stderr', last) : t.tail.endOpenLines())
    const dead = [...this.engines.values()].filter((e) => e.diedAt !== null).sort((a, b) => a.diedAt! - b.diedAt!)
    if (dead.length > this.keepDead) this.remove(dead.slice(0, dead.length - this.keepDead).map((e) => e.info.id))
  }

  private taskDone(task: Task): void {
    const id = task.meta.engineId
    const t = id === null ? undefined : this.engines.get(id)
    if (!t) return
    this.output(t.info.id, t.tail.taskDone(task.id, task.meta.stdout, task.meta.stderr))
    // Tasks done and busy time change without a state change while an engine stays busy.
    this.changed(t.info.id)
  }

  private output(engineId: number, lines: OutputLine[] | undefined): void {
    if (lines?.length) this.bus.publish({ type: 'output', engineId, lines })
  }

  private changed(id: number): void {
    this.bus.engineChanged(id, () => {
      const t = this.engines.get(id)
      const engine = t && this.updateOf(t)
      return engine ? { type: 'engine', engine } : null
    })
  }

  /** The engine's node, looked up until found (then it stays, even after the node stops). */
  private nodeFor(t: Tracked): EngineNode | null {
    t.node ??= this.nodeOf(t.info.node)
    return t.node
  }

  /** The engine's update with the client's latest counters (read when the batch goes out). */
  private updateOf(t: Tracked): EngineUpdate | null {
    const node = this.nodeFor(t)
    if (!node) return null
    const fresh = this.fresh(t.info.id)
    if (fresh && fresh.state === t.info.state) t.info = fresh
    const { id, pid, state, currentTask, tasksDone, busyMs, exit } = t.info
    const now = t.diedAt ?? Date.now()
    const live = Math.max(t.busySince !== null ? t.busyAtStreak + (now - t.busySince) : busyMs, busyMs)
    // Busy share over the last BUSY_WINDOW_MS (since the start for a younger engine), so that a
    // run shows its engines busy now, not their average since they started.
    while (t.recent.length > 1 && now - t.recent[1][0] >= BUSY_WINDOW_MS) t.recent.shift()
    const [since, busyThen] = t.recent.length && now - t.recent[0][0] >= BUSY_WINDOW_MS ? t.recent[0] : [t.startedAt, 0]
    if (t.diedAt === null && (t.recent.length === 0 || now - t.recent[t.recent.length - 1][0] >= 500)) t.recent.push([now, live])
    const elapsed = now - since
    return {
      id,
      nodeId: node.nodeId,
      nodeName: node.nodeName,
      host: t.info.host,
      pid,
      state,
      currentTask,
      tasksDone,
      busyMs,
      busyShare: elapsed > 0 ? Math.min(1, Math.max(0, (live - busyThen) / elapsed)) : 0,
      memory: t.memory,
      startedAt: t.startedAt,
      exit: exit ? { code: exit.code, signal: exit.signal, reason: describeExit(exit) } : null,
    }
  }

  /**
   * The client's latest facts about an engine. `rc.engines` builds every engine's info, so it is
   * read once for all the updates of one batch (256 engines: one list, not one per engine); the
   * client's engine and task events, which come with every change of its facts, drop it.
   */
  private fresh(id: number): EngineInfo | undefined {
    if (!this.client) return undefined
    this.freshById ??= new Map(this.client.engines.map((e) => [e.id, e]))
    return this.freshById.get(id)
  }

  private tick(): void {
    this.freshById = null
    for (const t of this.engines.values()) {
      if (t.info.state === 'dead') continue
      if (this.nodeFor(t)?.local && t.info.pid !== null) t.memory = readRss(t.info.pid)
      this.changed(t.info.id)
    }
  }
}

function describeExit(exit: NonNullable<EngineInfo['exit']>): string {
  const how = exit.signal ? `killed by ${exit.signal}` : exit.code !== null ? `exited with code ${exit.code}` : null
  const why = exit.reason === 'the engine process exited' ? null : exit.reason
  return [how, why].filter(Boolean).join(': ') || exit.reason
}
