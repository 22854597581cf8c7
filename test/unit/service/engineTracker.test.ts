/** The engine tracker's busy share: over the last seconds, not the engine's whole life. */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { Client, ClientEvents } from '../../../src-main/core/client/Client'
import type { EngineInfo } from '../../../src-main/core/client/EngineHandle'
import { EngineTracker } from '../../../src-main/service/engineTracker'
import { EventBus } from '../../../src-main/service/eventBus'

/** Just what the tracker reads of a Client: its engines and their events. */
class StandInClient {
  listener: ClientEvents | null = null
  info: EngineInfo = { id: 0, node: 'node-key', host: 'h', pid: null, state: 'idle', currentTask: null, tasksDone: 0, busyMs: 0, exit: null }
  get engines(): EngineInfo[] {
    return [this.info]
  }
  subscribe(events: ClientEvents): () => void {
    this.listener = events
    return () => undefined
  }
  set(patch: Partial<EngineInfo>): void {
    this.info = { ...this.info, ...patch }
    this.listener?.onEngineChange?.(this.info)
  }
}

describe('EngineTracker busy share', () => {
  beforeEach(() => vi.useFakeTimers())
  afterEach(() => vi.useRealTimers())

  it('shows an engine busy now as busy, however long it idled before', () => {
    const tracker = new EngineTracker(new EventBus(), () => ({ nodeId: 'n', nodeName: 'this machine', local: false }), { tickMs: 1000 })
    const client = new StandInClient()
    tracker.attach(client as unknown as Client)
    const share = (): number => tracker.view(0)!.busyShare
    // A minute idle, sampled as the GUI's ticks do.
    for (let s = 0; s < 60; s++) {
      vi.advanceTimersByTime(1000)
      tracker.view(0)
    }
    expect(share()).toBe(0)
    client.set({ state: 'busy' })
    for (let s = 0; s < 12; s++) {
      vi.advanceTimersByTime(1000)
      tracker.view(0)
    }
    // The lifetime average would be 12 / 72 ≈ 0.17.
    expect(share()).toBeGreaterThan(0.95)
    client.set({ state: 'idle', busyMs: 12_000, tasksDone: 1 })
    for (let s = 0; s < 5; s++) {
      vi.advanceTimersByTime(1000)
      tracker.view(0)
    }
    expect(share()).toBeGreaterThan(0.4)
    expect(share()).toBeLessThan(0.6)
    tracker.close()
  })
})
