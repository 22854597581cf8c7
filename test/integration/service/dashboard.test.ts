/**
 * The service as everyone's dashboard: its cluster published under a profile scripts connect to,
 * every client's tasks and errors, and attaching to a cluster started elsewhere.
 */
import { describe, expect, test } from 'vitest'
import type { ServiceEvent, TaskBar } from '../../../src-main/service/api'
import { clientProcess } from '../../helpers/clientProcess'
import { freshHome, startLocal } from '../../helpers/cluster'
import { openService, recordEvents, tempDir, waitFor } from '../../helpers/service'

const tasksOf = (events: ServiceEvent[]): TaskBar[] => events.flatMap((e) => (e.type === 'tasks' ? e.tasks : []))

describe('the dashboard service', () => {
  test("publishes its cluster as 'app' (the next one as 'app-2'), and shows a script's tasks, client and errors", async () => {
    freshHome()
    const service = openService(tempDir(), { profile: undefined })
    const events = recordEvents(service)
    expect(await service.published()).toMatchObject({ own: 'app', current: 'app', attached: false, ownError: null })
    const second = openService(tempDir(), { profile: undefined })
    expect((await second.published()).own).toBe('app-2')

    await service.saveNode({ id: 'local', name: 'This computer', kind: 'local', engines: 2 })
    await service.startNode('local')
    const { child, line } = await clientProcess(`
      const rc = await connect({ profile: 'app' })
      await rc.loadBalancedView().map((x) => x + 1, Array.from({ length: 20 }, (_, i) => i))
      await rc.view(0).apply(() => { throw new RangeError('out of range') }).catch(() => {})
      console.log(String(rc.link.clientNo))
      setInterval(() => {}, 1000)
    `)
    const no = Number(line)
    await waitFor(() => tasksOf(events.events).filter((t) => t.client === no).length === 21, "the script's 21 tasks")
    const bars = tasksOf(events.events).filter((t) => t.client === no)
    expect(bars.filter((t) => t.status === 'error')).toMatchObject([{ engineId: 0, method: 'apply' }])
    const snap = await waitFor(async () => {
      const s = await service.snapshot()
      return s.clients.find((c) => c.clientNo === no)?.done === 21 ? s : null
    }, 'the client with its counts')
    expect(snap.clients.find((c) => c.clientNo === no)).toMatchObject({ pid: child.pid, failed: 1, self: false })
    expect(snap.clients.find((c) => c.clientNo === 0)).toMatchObject({ pid: process.pid, self: true })
    expect(snap.tasks.filter((t) => t.client === no)).toHaveLength(21)
    const error = snap.errors.find((e) => e.source === 'client')!
    expect(error).toMatchObject({ sourceId: `client-${no}`, ename: 'RangeError', evalue: 'out of range', engineId: 0, nodeName: 'This computer' })
    expect(error.code).toContain(`pid ${child.pid}`)
    // The profile list has both apps, this one marked as its own and shown.
    const profiles = await service.listProfiles()
    expect(profiles.map((p) => [p.profile, p.state, p.own, p.current])).toEqual([
      ['app', 'running', true, true],
      ['app-2', 'running', false, false],
    ])
    // Connections that only ask (the second app's claim of 'app', listProfiles' status) are no clients.
    await new Promise((r) => setTimeout(r, 700))
    const listed = new Set(events.events.flatMap((e) => (e.type === 'clients' ? e.clients.map((c) => c.clientNo) : [])))
    expect([...listed].sort((a, b) => a - b)).toEqual([0, no])
  })

  test('attaches to a cluster started elsewhere, runs console code on it, and detaches', async () => {
    freshHome()
    await startLocal(3, { profile: 'lab' })
    const service = openService(tempDir(), { profile: undefined })
    await service.published()
    const events = recordEvents(service)
    await expect(service.attach('nothing-here')).rejects.toThrow(/no cluster is running under profile 'nothing-here'/)
    expect((await service.snapshot()).profile.current).toBe('app')

    expect(await service.attach('lab')).toMatchObject({ own: 'app', current: 'lab', attached: true })
    const snap = await waitFor(async () => {
      const s = await service.snapshot()
      return s.engines.length === 3 ? s : null
    }, 'the three engines of lab')
    expect(snap.engines.map((e) => e.nodeName)).toEqual(['local (lab)', 'local (lab)', 'local (lab)'])
    const entry = await service.execute('process.pid', 'all')
    expect(entry.results).toHaveLength(3)
    await waitFor(() => tasksOf(events.events).length >= 3, 'the console tasks in the stream')
    expect((await service.listProfiles()).find((p) => p.profile === 'lab')).toMatchObject({ current: true, engines: 3 })

    expect(await service.detach()).toMatchObject({ current: 'app', attached: false })
    expect((await service.snapshot()).engines).toEqual([])
    expect(events.events.some((e) => e.type === 'tasksReset')).toBe(true)
  })

  test('goes back to its own cluster by itself when the attached one stops', async () => {
    freshHome()
    const { cluster } = await startLocal(1, { profile: 'brief' })
    const service = openService(tempDir(), { profile: undefined })
    await service.published()
    await service.attach('brief')
    await waitFor(async () => (await service.snapshot()).engines.length === 1, 'the engine of brief')
    await cluster.stop()
    const state = await waitFor(async () => {
      const s = await service.snapshot()
      return s.profile.attached ? null : s.profile
    }, 'the service to detach by itself')
    expect(state).toMatchObject({ current: 'app', attached: false })
    expect(state.lost).toMatch(/^profile 'brief' went away/)
    expect((await service.snapshot()).engines).toEqual([])
  })

  test("shows a task as running when it starts, the client's running and queued counts, and the task done", async () => {
    freshHome()
    const service = openService(tempDir(), { profile: undefined })
    await service.published()
    const events = recordEvents(service)
    await service.saveNode({ id: 'local', name: 'This computer', kind: 'local', engines: 1 })
    await service.startNode('local')
    const { line } = await clientProcess(`
      const rc = await connect({ profile: 'app' })
      console.log(String(rc.link.clientNo))
      const sleep = (ms) => new Promise((r) => setTimeout(() => r(ms), ms))
      await Promise.all([rc.view(0).apply(sleep, 600), rc.view(0).apply(sleep, 600)])
      setInterval(() => {}, 1000)
    `)
    const no = Number(line)
    // One runs, the other waits behind it on the engine.
    const during = await waitFor(async () => {
      const s = await service.snapshot()
      const c = s.clients.find((x) => x.clientNo === no)
      return c?.running === 1 && c.queued === 1 && s.running.length === 1 ? s : null
    }, 'one task running, one queued')
    expect(during.running[0]).toMatchObject({ client: no, engineId: 0, method: 'apply' })
    const first = during.running[0].id
    const starts = (): number[] => events.events.flatMap((e) => (e.type === 'tasksStarted' ? e.tasks.map((t) => t.id) : []))
    await waitFor(() => starts().length === 2, 'both tasks started, one after the other')
    expect(starts()[0]).toBe(first)
    await waitFor(() => tasksOf(events.events).filter((t) => t.client === no).length === 2, 'both done')
    const done = tasksOf(events.events).filter((t) => t.client === no)
    expect(done.map((t) => t.id)).toEqual(starts())
    const end = await waitFor(async () => {
      const s = await service.snapshot()
      return s.clients.find((x) => x.clientNo === no)?.done === 2 ? s : null
    }, 'the counts at the end')
    expect(end.running).toEqual([])
    expect(end.clients.find((x) => x.clientNo === no)).toMatchObject({ running: 0, queued: 0 })
  })
})
