// @vitest-environment happy-dom
import { beforeEach, describe, expect, it } from 'vitest'
import ExceptionsView from '../../../src-renderer/src/views/ExceptionsView.vue'
import { FakeClient, remoteError } from './fakeClient'
import { mountWith } from './mountWith'

beforeEach(() => localStorage.clear())

const compositeParts = (received: number, count: number) =>
  Array.from({ length: received }, (_, i) => remoteError(i, { id: `p${i}`, composite: { index: i, count }, nodeName: i % 2 ? 'lab1' : 'this machine' }))

describe('the Exceptions view', () => {
  it("groups a CompositeError's parts under their console entry, first four and 'N more'", async () => {
    const client = new FakeClient({
      console: [{ id: 'c1', n: 7, code: 'T_T', targets: 'all', at: 0, durationMs: 3, status: 'done', results: [], error: null }],
      errors: [...compositeParts(6, 6).reverse(), remoteError(0, { id: 'r', source: 'run', sourceId: 'run-1', code: 'lb-map', ename: 'EngineError', evalue: 'engine 0 died' })],
    })
    const wrapper = await mountWith(ExceptionsView, client)
    const groups = wrapper.findAll('[data-testid="exception-group"]')
    expect(groups).toHaveLength(2)
    const composite = groups.find((g) => g.text().includes('Console In [7]'))!
    expect(composite.text()).toContain('CompositeError: 6 exceptions')
    expect(composite.get('pre.code').text()).toBe('T_T')
    let items = composite.findAll('[data-testid="exception-item"]')
    expect(items.map((i) => i.attributes('data-engine'))).toEqual(['0', '1', '2', '3'])
    expect(items[1].text()).toContain('[1:execute]')
    expect(items[1].text()).toContain('ReferenceError')
    expect(items[1].text()).toContain('lab1')
    expect(items[1].get('.traceback').text()).toContain('at <console>:1:1')
    const more = composite.get('[data-testid="exception-more"]')
    expect(more.text()).toContain('2 more exceptions')
    await more.trigger('click')
    items = composite.findAll('[data-testid="exception-item"]')
    expect(items).toHaveLength(6)
  })

  it('shows a traceback only when it says more than the header line', async () => {
    const client = new FakeClient({
      errors: [
        remoteError(0, { id: 'bare', ename: 'EngineError', evalue: 'engine 0 died', traceback: 'EngineError: engine 0 died' }),
        remoteError(1, { id: 'framed', traceback: 'TypeError: x\n    at f (<execute>:2:3)' }),
      ],
    })
    const wrapper = await mountWith(ExceptionsView, client)
    const items = wrapper.findAll('[data-testid="exception-item"]')
    const byEngine = (e: string) => items.find((i) => i.attributes('data-engine') === e)!
    expect(byEngine('0').find('.traceback').exists()).toBe(false)
    expect(byEngine('1').get('.traceback').text()).toBe('TypeError: x\n    at f (<execute>:2:3)')
  })

  it('counts the parts the service did not send', async () => {
    const client = new FakeClient({ errors: compositeParts(3, 10) })
    const wrapper = await mountWith(ExceptionsView, client)
    expect(wrapper.findAll('[data-testid="exception-item"]')).toHaveLength(3)
    expect(wrapper.get('[data-testid="exception-more"]').text()).toContain('7 more exceptions not reported')
  })

  it('shows nothing to clear when empty, and clears through the service', async () => {
    const client = new FakeClient({ errors: compositeParts(2, 2) })
    const wrapper = await mountWith(ExceptionsView, client)
    expect(wrapper.findAll('[data-testid="exception-item"]')).toHaveLength(2)
    client.emit([{ type: 'errorsCleared' }])
    await wrapper.vm.$nextTick()
    expect(wrapper.findAll('[data-testid="exception-item"]')).toHaveLength(0)
    expect(wrapper.text()).toContain('No exceptions')
    expect(wrapper.get('[data-testid="exceptions-clear"]').attributes('disabled')).toBeDefined()
  })
})
