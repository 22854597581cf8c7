/**
 * The agent's watch on its engines' liveness. Each engine's guard thread (sigintGuard.ts) writes a
 * byte to a pipe of its own every 500 ms, busy or idle; an engine whose beats stop for
 * `notRespondingMs` is stopped (SIGSTOP) or wedged, and the agent tells the controller, which
 * moves the load-balanced tasks waiting on it elsewhere. Beats coming back say it answers again.
 */

/** Tells an engine which fd its liveness pipe is (the agent opens it as the child's fd 4). */
export const LIVENESS_ENV = 'CLUSTERDESK_LIVENESS_FD'
export const LIVENESS_FD = 4
/** Silence after which an engine is not responding, by default (the guard beats every 500 ms). */
export const NOT_RESPONDING_MS = 4000
/** How often the agent looks at the beats. */
const CHECK_MS = 250

/** What the watch needs of an engine process. */
export interface Beating {
  readonly id: number
  /** When its last beat arrived (epoch ms); null before the first one (still starting). */
  readonly lastBeat: number | null
}

interface Watched {
  engine: Beating
  notRespondingMs: number
  responding: boolean
}

export class LivenessWatch {
  private readonly watched = new Map<number, Watched>()
  private timer: NodeJS.Timeout | null = null

  /** `onChange` is called when an engine stops answering, and again when it answers. */
  constructor(private readonly onChange: (engine: number, responding: boolean, silentMs: number) => void) {}

  watch(engine: Beating, notRespondingMs = NOT_RESPONDING_MS): void {
    this.watched.set(engine.id, { engine, notRespondingMs, responding: true })
    if (!this.timer) {
      this.timer = setInterval(() => this.check(), CHECK_MS)
      this.timer.unref()
    }
  }

  forget(engine: Beating): void {
    if (this.watched.get(engine.id)?.engine === engine) this.watched.delete(engine.id)
    if (this.watched.size === 0 && this.timer) {
      clearInterval(this.timer)
      this.timer = null
    }
  }

  private check(): void {
    const now = Date.now()
    for (const entry of this.watched.values()) {
      // An engine that never beat is still starting: the start timeout covers it.
      if (entry.engine.lastBeat === null) continue
      const silentMs = now - entry.engine.lastBeat
      const responding = silentMs < entry.notRespondingMs
      if (responding === entry.responding) continue
      entry.responding = responding
      this.onChange(entry.engine.id, responding, silentMs)
    }
  }
}
