/**
 * The load balancer on its own, over engine handles whose connection only records what it is
 * sent: which engine each task goes to, how many engines tiny tasks wake, and what constraints
 * and failures do to that.
 */
import { afterEach, describe, expect, it, vi } from 'vitest'
import { EngineHandle, type EngineHost } from '../../../src-main/core/client/EngineHandle'
import { LoadBalancer } from '../../../src-main/core/client/LoadBalancer'
import { Task } from '../../../src-main/core/client/Task'

function setup(count: number) {
  const host: EngineHost = { label: 'local', host: 'vm', send: () => {}, signal: () => {} }
  const all = Array.from({ length: count }, (_, id) => {
    const handle = new EngineHandle(id, host)
    handle.registered(1000 + id)
    return handle
  })
  let live = all
  const unrunnable: Task[] = []
  const lb = new LoadBalancer({ liveEngines: () => live }, (task) => unrunnable.push(task), () => {})
  let nextId = 0
  const submit = (n: number, constraints: Partial<Pick<Task, 'allowed' | 'excluded'>> = {}): Task[] =>
    Array.from({ length: n }, () => {
      const task = new Task(nextId++, { op: 'execute', code: '0' }, null)
      task.balanced = true
      Object.assign(task, constraints)
      lb.submit(task)
      return task
    })
  /** Every engine answers all it holds, each task having taken `ms`. */
  const finishAll = (ms: number): void => {
    for (const engine of live) {
      for (const id of [...engine.inflight.keys()]) {
        engine.result({ type: 'result', id, status: 'ok', value: 0, started: 0, completed: ms, stdout: '', stderr: '' })
        lb.taskFinished(ms)
      }
    }
    lb.pump()
  }
  const loads = (): number[] => all.map((e) => e.inflight.size)
  const setLive = (engines: EngineHandle[]): void => {
    live = engines
  }
  return { lb, engines: all, submit, finishAll, loads, unrunnable, setLive }
}

/** Tiny tasks until the balancer has learnt that they are tiny. */
function learnTiny(s: ReturnType<typeof setup>): void {
  for (let i = 0; i < 50; i++) {
    s.submit(300)
    s.lb.pump()
    s.finishAll(0)
  }
  while (s.lb.queued > 0 || s.loads().some((n) => n > 0)) s.finishAll(0)
}

afterEach(() => vi.restoreAllMocks())

describe('LoadBalancer', () => {
  it('spreads tasks of unknown length over every engine, the least loaded first', () => {
    const s = setup(256)
    s.submit(256)
    s.lb.pump()
    expect(s.loads()).toEqual(Array(256).fill(1))
  })

  it('keeps tiny tasks on the first two engines instead of waking all of them', () => {
    const s = setup(256)
    learnTiny(s)
    s.submit(20_000)
    s.lb.pump()
    const loads = s.loads()
    expect(loads.slice(0, 2)).toEqual([64, 64])
    expect(loads.slice(2).every((n) => n === 0)).toBe(true)
    expect(s.lb.queued).toBe(20_000 - 128)
  })

  it('uses every engine again once tasks take long', () => {
    const s = setup(256)
    learnTiny(s)
    s.submit(100)
    s.lb.pump()
    // The tiny tasks go on the first two engines; they turn out to take 50 ms each.
    s.finishAll(50)
    s.submit(1000)
    s.lb.pump()
    expect(s.loads().every((n) => n === 1)).toBe(true)
  })

  it('does not wake every engine for one tiny task that reported a long time', () => {
    const s = setup(256)
    learnTiny(s)
    s.submit(1)
    s.lb.pump()
    // Preempted, say: it took 50 ms.
    s.finishAll(50)
    s.submit(1000)
    s.lb.pump()
    const used = s.loads().flatMap((n, id) => (n > 0 ? [id] : []))
    expect(used).toEqual([0, 1])
  })

  it('passes over an engine busy with something long while others can take the tasks', () => {
    const s = setup(8)
    learnTiny(s)
    s.engines[0].send(new Task(1e6, { op: 'execute', code: 'while (true) {}' }, 0))
    const now = Date.now()
    vi.spyOn(Date, 'now').mockReturnValue(now + 100)
    s.submit(100)
    s.lb.pump()
    expect(s.loads()).toEqual([1, 50, 50, 0, 0, 0, 0, 0])
    // Allowed nowhere else, its tasks still queue behind it.
    s.submit(10, { allowed: [0] })
    s.lb.pump()
    expect(s.loads()[0]).toBe(11)
  })

  it('takes back the tasks waiting behind a slow first task, and runs them one per engine', () => {
    const s = setup(8)
    learnTiny(s)
    s.submit(100)
    s.lb.pump()
    expect(s.loads()).toEqual([50, 50, 0, 0, 0, 0, 0, 0])
    const now = Date.now()
    vi.spyOn(Date, 'now').mockReturnValue(now + 100)
    // No result for 100 ms: the engines are asked to drop the 49 tasks behind each first one.
    s.lb.pump()
    const [first, ...waiting] = [...s.engines[0].inflight.values()]
    // The first one ran: its result is an ordinary one.
    expect(s.lb.reclaimed(first, s.engines[0], false)).toBe(false)
    // One the user aborts meanwhile stays aborted.
    s.lb.removeAll([waiting[0]])
    let back = 0
    for (const engine of s.engines.slice(0, 2)) {
      for (const task of [...engine.inflight.values()].slice(1)) {
        engine.result({ type: 'result', id: task.id, status: 'aborted', started: now, completed: now, stdout: '', stderr: '' })
        if (s.lb.reclaimed(task, engine, true)) back++
      }
    }
    expect(back).toBe(97)
    expect(s.lb.queued).toBe(97)
    s.lb.pump()
    // Long now: one per engine, and none behind the slow ones.
    expect(s.loads()).toEqual([1, 1, 1, 1, 1, 1, 1, 1])
    expect(s.lb.queued).toBe(91)
  })

  it('keeps a view on a few engines to those, the first two of them in id order for tiny tasks', () => {
    const s = setup(256)
    learnTiny(s)
    s.submit(128, { allowed: [200, 5, 77] })
    s.lb.pump()
    const used = s.loads().flatMap((n, id) => (n > 0 ? [id] : []))
    expect(used).toEqual([5, 77])
    s.finishAll(0)
    s.submit(128, { allowed: [200, 5, 77], excluded: new Set([5]) })
    s.lb.pump()
    expect(s.loads().flatMap((n, id) => (n > 0 ? [id] : []))).toEqual([77, 200])
  })

  it('skips an engine that does not answer, and sees engines that came or went', () => {
    const s = setup(8)
    learnTiny(s)
    s.engines[0].unresponsive()
    s.submit(128, { allowed: [0, 1, 2, 3] })
    s.lb.pump()
    expect(s.loads().slice(0, 4)).toEqual([0, 64, 64, 0])
    s.finishAll(0)
    s.setLive(s.engines.filter((e) => e.id !== 1))
    s.submit(128, { allowed: [0, 1, 2, 3] })
    s.lb.pump()
    expect(s.loads().slice(0, 4)).toEqual([0, 0, 64, 64])
  })

  it('fails the tasks of a view whose engines are all gone', () => {
    const s = setup(4)
    s.setLive(s.engines.slice(0, 2))
    const tasks = s.submit(3, { allowed: [2, 3] })
    s.lb.pump()
    expect(s.unrunnable).toEqual(tasks)
    expect(s.lb.queued).toBe(0)
  })
})
