import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest'
import type { EngineUpdate, ServiceEvent } from '../../../src-main/service/api'
import { EventBus } from '../../../src-main/service/eventBus'

const engine = (id: number, tasksDone: number): EngineUpdate => ({
  id, nodeId: 'local', nodeName: 'This computer', host: 'h', pid: 100 + id, state: 'busy', currentTask: tasksDone, tasksDone,
  busyMs: 0, busyShare: 0, memory: null, startedAt: 0, exit: null,
})

function subscribe(bus: EventBus): ServiceEvent[][] {
  const batches: ServiceEvent[][] = []
  bus.onEvents((batch) => batches.push(batch))
  return batches
}

describe('EventBus', () => {
  beforeEach(() => vi.useFakeTimers())
  afterEach(() => vi.useRealTimers())

  test('32 engines × 10,000 tasks become one engine event per engine, each view built once', () => {
    const bus = new EventBus()
    const batches = subscribe(bus)
    let built = 0
    const done = new Map<number, number>()
    for (let task = 1; task <= 10_000; task++) {
      for (let id = 0; id < 32; id++) {
        done.set(id, task)
        bus.engineChanged(id, () => {
          built++
          return { type: 'engine', engine: engine(id, done.get(id)!) }
        })
      }
    }
    vi.advanceTimersByTime(0)
    expect(batches).toHaveLength(1)
    expect(batches[0]).toHaveLength(32)
    expect(built).toBe(32)
    expect(batches[0].every((e) => e.type === 'engine' && e.engine.tasksDone === 10_000)).toBe(true)
  })

  test('sends at most one batch every 100 ms, however fast events come', () => {
    const bus = new EventBus({ intervalMs: 100 })
    const times: number[] = []
    bus.onEvents(() => times.push(Date.now()))
    for (let t = 0; t < 1000; t++) {
      bus.publish({ type: 'runProgress', progress: { runId: 'r', tasksDone: t, tasks: 1000, samplesDone: 0, samples: 0, samplesPerSec: 0, etaMs: null } })
      vi.advanceTimersByTime(1)
    }
    vi.advanceTimersByTime(200)
    expect(times.length).toBeGreaterThanOrEqual(10)
    expect(times.length).toBeLessThanOrEqual(11)
    for (let i = 1; i < times.length; i++) expect(times[i] - times[i - 1]).toBeGreaterThanOrEqual(100)
  })

  test('the first event after a quiet spell goes out at once (same tick)', () => {
    const bus = new EventBus()
    const batches = subscribe(bus)
    bus.publish({ type: 'errorsCleared' })
    vi.advanceTimersByTime(0)
    expect(batches).toHaveLength(1)
  })

  test('keeps the latest event per thing, in the order of their latest change', () => {
    const bus = new EventBus()
    const batches = subscribe(bus)
    const run = (status: 'running' | 'done') => ({ type: 'run', run: { id: 'r1', status } }) as unknown as ServiceEvent
    bus.publish(run('running'))
    bus.publish({ type: 'runProgress', progress: { runId: 'r1', tasksDone: 4, tasks: 4, samplesDone: 4, samples: 4, samplesPerSec: 1, etaMs: 0 } })
    bus.publish(run('done'))
    bus.flush()
    expect(batches[0].map((e) => e.type)).toEqual(['runProgress', 'run'])
    expect((batches[0][1] as Extract<ServiceEvent, { type: 'run' }>).run.status).toBe('done')
  })

  test('merges output lines per engine, keeping the last 200', () => {
    const bus = new EventBus()
    const batches = subscribe(bus)
    for (let i = 0; i < 500; i++) bus.publish({ type: 'output', engineId: 3, lines: [{ stream: 'stdout', text: `line ${i}`, at: i }] })
    bus.publish({ type: 'output', engineId: 4, lines: [{ stream: 'stderr', text: 'other', at: 0 }] })
    bus.flush()
    const [three, four] = batches[0] as Array<Extract<ServiceEvent, { type: 'output' }>>
    expect(three.lines).toHaveLength(200)
    expect(three.lines[0].text).toBe('line 300')
    expect(three.lines.at(-1)!.text).toBe('line 499')
    expect(four.lines).toEqual([{ stream: 'stderr', text: 'other', at: 0 }])
  })

  test('errorsCleared drops errors still pending; runDeleted drops the run\'s pending events; gone engines are skipped', () => {
    const bus = new EventBus()
    const batches = subscribe(bus)
    bus.publish({ type: 'error', error: { id: 'e1' } as never })
    bus.publish({ type: 'errorsCleared' })
    bus.publish({ type: 'error', error: { id: 'e2' } as never })
    bus.publish({ type: 'run', run: { id: 'r1' } as never })
    bus.publish({ type: 'runDeleted', runId: 'r1' })
    bus.engineChanged(9, () => null)
    bus.flush()
    expect(batches[0].map((e) => (e.type === 'error' ? `error ${e.error.id}` : e.type))).toEqual(['errorsCleared', 'error e2', 'runDeleted'])
  })

  test("joins a run's new chunks into one runChunks per batch; the final record or runDeleted drops them", () => {
    const bus = new EventBus()
    const batches = subscribe(bus)
    const chunk = (index: number) => ({ index, engineId: 0, samples: 1, hits: 1, started: index, completed: index })
    bus.publish({ type: 'run', run: { id: 'r1', status: 'running' } as never })
    bus.publish({ type: 'runChunks', runId: 'r1', from: 0, chunks: [chunk(0), chunk(1)] })
    bus.publish({ type: 'runChunks', runId: 'r1', from: 2, chunks: [chunk(2)] })
    bus.publish({ type: 'runChunks', runId: 'r2', from: 0, chunks: [chunk(0)] })
    bus.flush()
    expect(batches[0].map((e) => e.type)).toEqual(['run', 'runChunks', 'runChunks'])
    expect(batches[0][1]).toEqual({ type: 'runChunks', runId: 'r1', from: 0, chunks: [chunk(0), chunk(1), chunk(2)] })

    bus.publish({ type: 'runChunks', runId: 'r1', from: 3, chunks: [chunk(3)] })
    bus.publish({ type: 'run', run: { id: 'r1', status: 'done' } as never })
    bus.publish({ type: 'runChunks', runId: 'r2', from: 1, chunks: [chunk(1)] })
    bus.publish({ type: 'runDeleted', runId: 'r2' })
    bus.flush()
    expect(batches[1].map((e) => e.type)).toEqual(['run', 'runDeleted'])
  })

  test('a failing subscriber does not keep events from the others; unsubscribing stops them', () => {
    const bus = new EventBus()
    bus.onEvents(() => {
      throw new Error('window closed')
    })
    const batches = subscribe(bus)
    const seen: ServiceEvent[][] = []
    const stop = bus.onEvents((b) => seen.push(b))
    bus.publish({ type: 'errorsCleared' })
    bus.flush()
    stop()
    bus.publish({ type: 'errorsCleared' })
    bus.flush()
    expect(batches).toHaveLength(2)
    expect(seen).toHaveLength(1)
  })
})
