// @vitest-environment happy-dom
import { flushPromises } from '@vue/test-utils'
import { beforeEach, describe, expect, it } from 'vitest'
import EnginesView from '../../../src-renderer/src/views/EnginesView.vue'
import { engine, FakeClient } from './fakeClient'
import { mountWith } from './mountWith'

// The window width decides the columns (see lib/windowSize): a desktop window shows them all.
const setWidth = (width: number) => (window as unknown as { happyDOM: { setViewport(v: { width: number }): void } }).happyDOM.setViewport({ width })

beforeEach(() => {
  localStorage.clear()
  setWidth(1280)
})

const headers = (wrapper: { findAll(s: string): Array<{ text(): string }> }) => wrapper.findAll('th').map((th) => th.text())

describe('the Engines view', () => {
  it('shows each engine with its state, and a dead one with its exit code and last output', async () => {
    const client = new FakeClient({
      nodes: [{ id: 'n1', name: 'this machine', kind: 'local', engines: 2, createdAt: 0, updatedAt: 0 }],
      engines: [
        engine(0, { state: 'busy', currentTask: 3, tasksDone: 12, busyShare: 0.5 }),
        engine(1, { state: 'dead', exit: { code: 137, signal: null, reason: 'killed from outside' }, output: [{ stream: 'stderr', text: 'last words', at: 5 }] }),
      ],
    })
    const wrapper = await mountWith(EnginesView, client)
    expect(wrapper.get('[data-testid="engine-state-0"]').text()).toBe('busy')
    expect(wrapper.get('[data-testid="engine-state-1"]').text()).toBe('dead')
    expect(wrapper.get('[data-testid="engine-row-0"]').text()).toContain('#3')
    expect(wrapper.get('[data-testid="engine-exit-code-1"]').text()).toContain('exit 137')
    // Interrupt only makes sense for a busy engine.
    expect(wrapper.get('[data-testid="engine-interrupt-1"]').attributes('disabled')).toBeDefined()
    await wrapper.get('[data-testid="engine-interrupt-0"]').trigger('click')
    expect(client.callsOf('interrupt')).toEqual([[[0]]])

    expect(wrapper.find('[data-testid="engine-output-1"]').exists()).toBe(false)
    await wrapper.get('[data-testid="engine-row-1"] .n-data-table-expand-trigger').trigger('click')
    await flushPromises()
    const output = wrapper.get('[data-testid="engine-output-1"]')
    expect(output.text()).toContain('killed from outside')
    expect(output.text()).toContain('[stderr] last words')
  })

  it('shows an engine that stopped answering as "not responding", in its row and in the counts', async () => {
    const client = new FakeClient({ engines: [engine(0, { state: 'unresponsive' }), engine(1, { state: 'idle' })] })
    const wrapper = await mountWith(EnginesView, client)
    expect(wrapper.get('[data-testid="engine-state-0"]').text()).toBe('not responding')
    expect(wrapper.get('.counts').text()).toContain('1 not responding')
    expect(wrapper.get('[data-testid="engine-state-1"]').text()).toBe('idle')
  })

  it('follows state events live', async () => {
    const client = new FakeClient({ engines: [engine(0, { state: 'starting' })] })
    const wrapper = await mountWith(EnginesView, client)
    expect(wrapper.get('[data-testid="engine-state-0"]').text()).toBe('starting')
    const { output: _o, ...update } = engine(0, { state: 'idle' })
    client.emit([{ type: 'engine', engine: update }])
    await flushPromises()
    expect(wrapper.get('[data-testid="engine-state-0"]').text()).toBe('idle')
  })

  it('expands a row from the keyboard', async () => {
    const client = new FakeClient({ engines: [engine(0, { output: [{ stream: 'stdout', text: 'ready', at: 1 }] })] })
    const wrapper = await mountWith(EnginesView, client)
    const row = wrapper.get('[data-testid="engine-row-0"]')
    expect(row.attributes('tabindex')).toBe('0')
    await row.trigger('keydown', { key: 'Enter' })
    await flushPromises()
    expect(wrapper.get('[data-testid="engine-output-0"]').text()).toContain('ready')
  })

  it('drops low-value columns in a narrow window and keeps the actions fixed in view', async () => {
    const client = new FakeClient({ engines: [engine(0, { state: 'busy', currentTask: 3, memory: 2 ** 20 })] })
    setWidth(700)
    const wrapper = await mountWith(EnginesView, client)
    expect(headers(wrapper)).toEqual(['', 'Id', 'Node', 'State', 'Actions'])
    // Actions stays on the right edge even if the table has to scroll sideways.
    expect(wrapper.get('[data-testid="engine-row-0"] td:last-child').classes()).toContain('n-data-table-td--fixed-right')
    expect(wrapper.find('[data-testid="engine-interrupt-0"]').exists()).toBe(true)

    setWidth(1100)
    await flushPromises()
    expect(headers(wrapper)).toEqual(['', 'Id', 'Node', 'State', 'Done', 'Busy (10 s)', 'Actions'])
    setWidth(1280)
    await flushPromises()
    expect(headers(wrapper)).toEqual(['', 'Id', 'Node', 'PID', 'State', 'Task', 'Done', 'Busy (10 s)', 'Memory', 'Actions'])
  })
})
