// @vitest-environment happy-dom
import { flushPromises } from '@vue/test-utils'
import { beforeEach, describe, expect, it, vi } from 'vitest'
import type { TaskBar } from '../../../src-main/service/api'
import { MAX_STREAM_TASKS, STREAM_REDRAW_MS, useClusterStore } from '../../../src-renderer/src/stores/cluster'
import ClusterView from '../../../src-renderer/src/views/ClusterView.vue'
import { FakeClient } from './fakeClient'
import { attachClient, mountWith } from './mountWith'

beforeEach(() => localStorage.clear())

const bar = (id: number, client = 1, status: TaskBar['status'] = 'ok'): TaskBar => ({ id, client, engineId: id % 2, method: 'apply', submitted: 1000 + id, started: 1000 + id, completed: 1001 + id, status })
const profile = (name: string, own: boolean, current: boolean) => ({ profile: name, state: 'running' as const, pid: 10, engines: 2, clients: 1, uptimeS: 5, own, current })

describe('the Clients & tasks view', () => {
  it('lists the clients, the profiles with Attach, and the snippet for the shown profile', async () => {
    const client = new FakeClient({
      clients: [
        { clientNo: 0, pid: 100, host: 'me', since: 0, queued: 0, running: 0, done: 3, failed: 0, self: true },
        { clientNo: 2, pid: 4242, host: 'lab', since: 0, queued: 5, running: 2, done: 40, failed: 1, self: false },
      ],
    })
    client.profileList = [profile('app', true, true), profile('lab', false, false)]
    const wrapper = await mountWith(ClusterView, client)
    const row = wrapper.get('[data-testid="client-row-2"]')
    expect(row.attributes('data-pid')).toBe('4242')
    expect(row.text()).toContain('lab')
    expect(row.text()).toContain('40')
    expect(wrapper.get('[data-testid="client-row-0"]').text()).toContain('this app')
    expect(wrapper.get('[data-testid="connect-snippet"]').text()).toContain("connect({ profile: 'app' })")
    expect(wrapper.find('[data-testid="profile-attach-app"]').exists()).toBe(false)
    await wrapper.get('[data-testid="profile-attach-lab"]').trigger('click')
    await flushPromises()
    expect(client.callsOf('attach')).toEqual([['lab']])
    expect(wrapper.get('[data-testid="profile-current"]').attributes('data-profile')).toBe('lab')
    expect(wrapper.get('[data-testid="connect-snippet"]').text()).toContain("connect({ profile: 'lab' })")
    await wrapper.get('[data-testid="profile-detach"]').trigger('click')
    await flushPromises()
    expect(client.callsOf('detach')).toHaveLength(1)
    wrapper.unmount()
  })

  it('keeps a bounded stream, redrawn at most every STREAM_REDRAW_MS, and starts over on tasksReset', async () => {
    vi.useFakeTimers()
    try {
      const client = new FakeClient()
      await attachClient(client)
      const store = useClusterStore()
      const ticks = store.tick
      for (let i = 0; i < 30; i++) client.emit([{ type: 'tasks', tasks: Array.from({ length: 1000 }, (_, j) => bar(i * 1000 + j)), total: (i + 1) * 1000 }])
      expect(store.total).toBe(30_000)
      expect(store.tasks()).toHaveLength(MAX_STREAM_TASKS)
      expect(store.tasks().at(-1)!.id).toBe(29_999)
      // Thirty batches, one redraw.
      await vi.advanceTimersByTimeAsync(STREAM_REDRAW_MS)
      expect(store.tick).toBe(ticks + 1)
      client.emit([{ type: 'tasksReset' }])
      expect(store.tasks()).toHaveLength(0)
      expect(store.total).toBe(0)
    } finally {
      vi.useRealTimers()
    }
  })

  it('keeps the task each engine runs now: a start replaces its engine\'s last, its finish ends it, a reset clears it', async () => {
    const client = new FakeClient({ running: [{ id: 7, client: 1, engineId: 0, method: 'apply', submitted: 990, started: 1000 }] })
    await attachClient(client)
    const store = useClusterStore()
    const ids = () => store.runningTasks().map((t) => t.id).sort((a, b) => a - b)
    expect(ids()).toEqual([7])
    client.emit([{ type: 'tasksStarted', tasks: [{ id: 8, client: 2, engineId: 1, method: 'map', submitted: 995, started: 1005 }] }])
    expect(ids()).toEqual([7, 8])
    // Engine 0 finished 7 and started 9: the older start is gone, whatever the order of the two events.
    client.emit([{ type: 'tasksStarted', tasks: [{ id: 9, client: 1, engineId: 0, method: 'apply', submitted: 996, started: 1010 }] }])
    client.emit([{ type: 'tasks', tasks: [{ ...bar(7), engineId: 0 }], total: 1 }])
    expect(ids()).toEqual([8, 9])
    client.emit([{ type: 'tasks', tasks: [{ ...bar(8), engineId: 1 }], total: 2 }])
    expect(ids()).toEqual([9])
    client.emit([{ type: 'tasksReset' }])
    expect(ids()).toEqual([])
  })
})
