/**
 * The monitoring feed: every client's task events and the connected clients, in batches, in the
 * controller's process and over the client protocol; clients that do not ask get none of it.
 */
import { describe, expect, it } from 'vitest'
import type { ClientInfo, TaskEvent } from '../../../src-main/core/controller/Monitor'
import type { Client } from '../../../src-main/core/client/Client'
import { clientProcess, exited } from '../../helpers/clientProcess'
import { connectClient, startLocal } from '../../helpers/cluster'

function follow(rc: Client): { tasks: TaskEvent[]; batches: number; clients: ClientInfo[]; stop: () => void } {
  const seen = { tasks: [] as TaskEvent[], batches: 0, clients: [] as ClientInfo[], stop: () => {} }
  seen.stop = rc.monitor({
    onTasks: (events) => {
      seen.batches++
      seen.tasks.push(...events)
    },
    onClients: (clients) => (seen.clients = clients),
  })
  return seen
}

const until = async (check: () => boolean, what: string, ms = 10000): Promise<void> => {
  const end = Date.now() + ms
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

describe.each(['in-process', 'connected'] as const)('the monitor of a %s client', (how) => {
  it('sees the tasks of another client process, with their errors, and that client', async () => {
    const { rc: own } = await startLocal(2, { profile: 'mon' })
    const rc = how === 'connected' ? await connectClient('mon') : own
    const seen = follow(rc)
    const { child, line } = await clientProcess(`
      const rc = await connect({ profile: 'mon' })
      await rc.loadBalancedView().map((x) => x * 2, [1, 2, 3, 4, 5])
      await rc.view(1).apply(() => { throw new TypeError('bad input') }).catch(() => {})
      console.log(String(rc.link.clientNo))
      setInterval(() => {}, 1000)
    `)
    const other = Number(line)
    expect(other).toBeGreaterThan(0)
    await until(() => seen.tasks.filter((e) => e.client === other && e.kind === 'done').length === 6, 'six done events')
    const done = seen.tasks.filter((e) => e.client === other && e.kind === 'done')
    expect(done.filter((e) => e.status === 'ok')).toHaveLength(5)
    expect(done.map((e) => [e.method, e.engineId !== null, e.started! <= e.completed!])).toEqual([...Array(5).fill(['map', true, true]), ['apply', true, true]])
    const failed = done.find((e) => e.status === 'error')!
    expect(failed).toMatchObject({ engineId: 1, balanced: false, error: { kind: 'RemoteError', ename: 'TypeError', evalue: 'bad input' } })
    // Batched: six tasks (and their submitted events) did not make one message each.
    expect(seen.batches).toBeLessThan(seen.tasks.length)
    await until(() => seen.clients.some((c) => c.clientNo === other && c.done === 6), 'the client counts')
    const entry = seen.clients.find((c) => c.clientNo === other)!
    expect(entry).toMatchObject({ pid: child.pid, failed: 1, queued: 0, running: 0 })
    expect(typeof entry.host).toBe('string')
    expect(seen.clients.find((c) => c.clientNo === 0)!.pid).toBe(process.pid)
    child.kill('SIGKILL')
    await exited(child)
    await until(() => !seen.clients.some((c) => c.clientNo === other), 'the client to leave the list')
    seen.stop()
  })

  it('reports a queued task as submitted before it finishes, and stops when unsubscribed', async () => {
    const { rc: own } = await startLocal(1, { profile: 'mon2' })
    const rc = how === 'connected' ? await connectClient('mon2') : own
    const seen = follow(rc)
    const slow = rc.view(0).apply(() => new Promise((r) => setTimeout(() => r('slow'), 400)))
    await until(() => seen.tasks.some((e) => e.kind === 'submitted'), 'a submitted event')
    await until(() => seen.clients.some((c) => c.clientNo === rc.link.clientNo && c.running === 1), 'a running count')
    // It started while it ran (the engine was idle): a `started` event before its `done`.
    await until(() => seen.tasks.some((e) => e.kind === 'started'), 'a started event')
    expect(await slow).toBe('slow')
    await until(() => seen.tasks.some((e) => e.kind === 'done'), 'its done event')
    const started = seen.tasks.find((e) => e.kind === 'started')!
    const done = seen.tasks.find((e) => e.kind === 'done')!
    expect(started).toMatchObject({ id: done.id, engineId: 0, method: 'apply', client: rc.link.clientNo })
    expect(seen.tasks.indexOf(started)).toBeLessThan(seen.tasks.indexOf(done))
    expect(started.started!).toBeGreaterThanOrEqual(started.submitted)
    // The controller's clock when the task reached the engine, the engine's own start: within a few ms.
    expect(Math.abs(started.started! - done.started!)).toBeLessThan(100)
    seen.stop()
    const count = seen.tasks.length
    await rc.view(0).apply(() => 1)
    await new Promise((r) => setTimeout(r, 300))
    expect(seen.tasks).toHaveLength(count)
  })

  it('counts a task waiting behind another on its engine as queued, and it starts when the first ends', async () => {
    const { rc: own } = await startLocal(1, { profile: 'mon3' })
    const rc = how === 'connected' ? await connectClient('mon3') : own
    const seen = follow(rc)
    const sleep = (ms: number) => new Promise((r) => setTimeout(() => r(ms), ms))
    const first = rc.view(0).apply(sleep, 400)
    const second = rc.view(0).apply(sleep, 300)
    const me = rc.link.clientNo
    await until(() => seen.clients.some((c) => c.clientNo === me && c.running === 1 && c.queued === 1), 'one running, one queued behind it')
    await first
    await until(() => seen.clients.some((c) => c.clientNo === me && c.running === 1 && c.queued === 0 && c.done === 1), 'the second running')
    await second
    await until(() => seen.tasks.filter((e) => e.kind === 'done').length === 2, 'both done')
    const starts = seen.tasks.filter((e) => e.kind === 'started')
    const dones = seen.tasks.filter((e) => e.kind === 'done')
    expect(starts.map((e) => e.id)).toEqual(dones.map((e) => e.id))
    // The second started when the first ended (not when it was sent, with the first).
    expect(starts[1].started!).toBeGreaterThanOrEqual(dones[0].completed! - 50)
    await until(() => seen.clients.some((c) => c.clientNo === me && c.running === 0 && c.queued === 0 && c.done === 2), 'nothing running')
    seen.stop()
  })
})
