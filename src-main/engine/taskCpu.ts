/**
 * The CPU time of each task (a result's cpuMs), read once per group of tasks that run back to
 * back instead of once per task: process.cpuUsage() is a system call of 2–4 µs on a VM, as long
 * as a tiny task itself, and it was a third of an engine's work per tiny task.
 *
 * A group's CPU time is split among its tasks by their wall times (performance.now, which costs
 * no system call). A group ends once its tasks have run GROUP_MS of wall time, when the engine
 * stops running tasks back to back, and before any other message is sent (so messages keep their
 * order): a long task ends its group and gets all but a few µs of it, and a tiny task's share is
 * exact to within its group's GROUP_MS. The results of a group wait, encoded, with a placeholder
 * cpuMs as their last property, which is filled in before they are sent (setTrailingFloat64);
 * what they carry is encoded when each task ends, so later tasks cannot change it.
 */
import { setTrailingFloat64 } from '../core/protocol/codec'

/** Wall time of the tasks of one group, at most (the last one may end past it). */
const GROUP_MS = 1
/** What a result's cpuMs is encoded as until its group ends: not an integer, so a float64. */
export const CPU_PLACEHOLDER = 0.5

const cpuNow = (): number => {
  const usage = process.cpuUsage()
  return usage.user + usage.system
}

export class TaskCpu {
  /** CPU µs when the open group started; null when no group is open. */
  private groupStart: number | null = null
  /** Results of the open group, waiting for their cpuMs, and their tasks' wall times. */
  private readonly frames: Uint8Array[][] = []
  private readonly walls: number[] = []
  private wallSum = 0
  /** performance.now() when the task running now (synchronously) started; null between tasks. */
  private runningSince: number | null = null
  /** CPU µs when the task being awaited started. */
  private awaitedStart = 0

  constructor(private readonly send: (chunks: Uint8Array[]) => void) {}

  /** A task starts. */
  started(): void {
    if (this.groupStart === null) this.groupStart = cpuNow()
    this.runningSince = performance.now()
  }

  /** The running task ended with this result (encoded with CPU_PLACEHOLDER as its last property). */
  ended(frame: Uint8Array[]): void {
    const wall = performance.now() - this.runningSince!
    this.runningSince = null
    this.frames.push(frame)
    this.walls.push(wall)
    this.wallSum += wall
    // A frame of several chunks carries big data: not worth holding back.
    if (this.wallSum >= GROUP_MS || frame.length > 1) this.endGroup(0)
  }

  /** The running task is to be awaited: it leaves the group, and its CPU time is read when it ends. */
  awaiting(): void {
    const since = this.runningSince!
    this.runningSince = null
    this.awaitedStart = this.endGroup(performance.now() - since)
  }

  /** CPU milliseconds of the awaited task, which has just ended. */
  awaitedCpuMs(): number {
    return (cpuNow() - this.awaitedStart) / 1000
  }

  /** Tasks stop running back to back (none queued, or the engine lets I/O through). */
  idle(): void {
    if (this.groupStart !== null) this.endGroup(0)
  }

  /**
   * Another message is about to be sent: the waiting results go first. A task running now (one
   * that writes output, say) goes on in a new group, from its share of the reading.
   */
  flush(): void {
    if (this.frames.length === 0) return
    if (this.runningSince === null) {
      this.endGroup(0)
      return
    }
    const now = performance.now()
    this.groupStart = this.endGroup(now - this.runningSince)
    this.runningSince = now
  }

  /**
   * Reads the CPU time once, splits what the group used among its results by wall time (and
   * `partialWall`, a task still running, which is not sent), sends them, and closes the group.
   * Returns the CPU µs at which the partial task's share starts.
   */
  private endGroup(partialWall: number): number {
    const now = cpuNow()
    const used = Math.max(0, now - (this.groupStart ?? now))
    const wall = this.wallSum + partialWall
    const count = this.frames.length + (partialWall > 0 ? 1 : 0)
    const share = (taskWall: number): number => (wall > 0 ? (used * taskWall) / wall : count > 0 ? used / count : 0)
    for (let i = 0; i < this.frames.length; i++) {
      const frame = this.frames[i]
      setTrailingFloat64(frame, share(this.walls[i]) / 1000)
      this.send(frame)
    }
    this.frames.length = 0
    this.walls.length = 0
    this.wallSum = 0
    this.groupStart = null
    return now - (partialWall > 0 ? share(partialWall) : 0)
  }
}
