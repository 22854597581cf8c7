// @vitest-environment happy-dom
import { flushPromises, type DOMWrapper } from '@vue/test-utils'
import { beforeEach, describe, expect, it } from 'vitest'
import NodesView from '../../../src-renderer/src/views/NodesView.vue'
import { FakeClient } from './fakeClient'
import { mountWith } from './mountWith'

beforeEach(() => {
  localStorage.clear()
  document.body.innerHTML = ''
})

// The dialog is teleported to <body>, outside the mounted wrapper.
const inBody = (selector: string) => document.body.querySelector(selector) as HTMLElement | null

describe('the Nodes view', () => {
  it('adds a local node with one engine per core by default; SSH can be chosen', async () => {
    const client = new FakeClient()
    const wrapper = await mountWith(NodesView, client)
    await wrapper.get('[data-testid="node-add"]').trigger('click')
    await flushPromises()
    const ssh = [...document.body.querySelectorAll('.n-radio')].find((r) => r.textContent?.includes('SSH'))!
    expect(ssh.querySelector('input')!.disabled).toBe(false)
    // The dialog asked the node for its cores to show the default.
    expect(client.callsOf('testNode')).toHaveLength(1)
    expect((inBody('[data-testid="node-engines"]') as HTMLInputElement).placeholder).toBe('one per core (4)')

    const name = inBody('[data-testid="node-name"]') as HTMLInputElement
    expect(name.value).toBe('this machine')
    inBody('[data-testid="node-save"]')!.click()
    await flushPromises()
    expect(client.callsOf('saveNode')).toEqual([[{ name: 'this machine', kind: 'local', engines: null }]])
    expect(wrapper.findAll('[data-testid="node-row"]')).toHaveLength(1)
  })

  it('refuses an empty or duplicate name inline', async () => {
    const client = new FakeClient({ nodes: [{ id: 'n1', name: 'lab', kind: 'local', engines: null, createdAt: 0, updatedAt: 0 }] })
    const wrapper = await mountWith(NodesView, client)
    await wrapper.get('[data-testid="node-add"]').trigger('click')
    await flushPromises()
    const name = inBody('[data-testid="node-name"]') as HTMLInputElement
    name.value = 'lab'
    name.dispatchEvent(new Event('input'))
    await flushPromises()
    expect(document.body.textContent).toContain('There is already a node called "lab"')
    expect((inBody('[data-testid="node-save"]') as HTMLButtonElement).disabled).toBe(true)
  })

  it('says why Save is disabled in a fresh dialog, as a plain hint until the name field is left', async () => {
    const client = new FakeClient({ nodes: [{ id: 'n1', name: 'lab', kind: 'local', engines: null, createdAt: 0, updatedAt: 0 }] })
    const wrapper = await mountWith(NodesView, client)
    await wrapper.get('[data-testid="node-add"]').trigger('click')
    await flushPromises()
    expect((inBody('[data-testid="node-save"]') as HTMLButtonElement).disabled).toBe(true)
    const item = inBody('[data-testid="node-name-item"]')!
    expect(item.textContent).toContain('Give the node a name')
    // Not an error yet: nothing was typed.
    expect(item.querySelector('.n-form-item-feedback--error')).toBeNull()
    const name = inBody('[data-testid="node-name"]') as HTMLInputElement
    name.dispatchEvent(new Event('blur'))
    await flushPromises()
    expect(item.querySelector('.n-form-item-feedback--error')?.textContent).toContain('Give the node a name')
  })

  it('names the buttons that step the engine count', async () => {
    const client = new FakeClient()
    const wrapper = await mountWith(NodesView, client)
    await wrapper.get('[data-testid="node-add"]').trigger('click')
    await flushPromises()
    const engines = inBody('[data-testid="node-engines"]')!.closest('.n-input-number')!
    const buttons = [...engines.querySelectorAll('button')]
    expect(buttons.map((b) => b.getAttribute('aria-label') || b.textContent!.trim())).toEqual(['One engine fewer', 'One engine more'])
  })

  it('starts one node from its row', async () => {
    const client = new FakeClient({ nodes: [{ id: 'n1', name: 'lab', kind: 'local', engines: 2, createdAt: 0, updatedAt: 0 }] })
    const wrapper = await mountWith(NodesView, client)
    const row = wrapper.get('[data-testid="node-row"]') as DOMWrapper<HTMLElement>
    expect(row.text()).toContain('stopped')
    await row.get('[data-testid="node-start"]').trigger('click')
    expect(client.callsOf('startNode')).toEqual([['n1']])
  })
})
