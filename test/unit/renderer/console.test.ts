// @vitest-environment happy-dom
import { flushPromises } from '@vue/test-utils'
import { beforeEach, describe, expect, it } from 'vitest'
import type { ConsoleEntry } from '../../../src-main/service/api'
import ConsoleView from '../../../src-renderer/src/views/ConsoleView.vue'
import { FakeClient, remoteError } from './fakeClient'
import { mountWith } from './mountWith'

beforeEach(() => localStorage.clear())

const entry = (patch: Partial<ConsoleEntry>): ConsoleEntry => ({
  id: 'c1',
  n: 1,
  code: 'print("hi"); 41 + 1',
  targets: 'all',
  at: 0,
  durationMs: 12,
  status: 'done',
  results: [],
  error: null,
  ...patch,
})

describe('the console', () => {
  it('shows stdout, Out and errors per engine like %px', async () => {
    const client = new FakeClient({
      console: [
        entry({
          results: [
            { engineId: 0, stdout: 'hello from 0\n', stderr: '', out: null, error: null },
            { engineId: 1, stdout: '', stderr: 'warn\n', out: '42', error: null },
            { engineId: 2, stdout: '', stderr: '', out: null, error: remoteError(2) },
          ],
        }),
      ],
    })
    const wrapper = await mountWith(ConsoleView, client)
    const text = wrapper.get('[data-testid="console-entry"]').text()
    expect(text).toContain('In [1]:')
    expect(text).toContain('[stdout:0] hello from 0')
    expect(text).toContain('[stderr:1] warn')
    expect(text).toContain('[out:1] 42')
    expect(text).toContain('[2:execute] ReferenceError: T_T is not defined')
    expect(text).not.toContain('[stdout:1]')
    expect(text).not.toContain('[out:0]')
    expect(wrapper.get('[data-engine="2"] .traceback').text()).toContain('at <console>:1:1')
  })

  it('shows an entry that failed before running (bad targets)', async () => {
    const client = new FakeClient({ console: [entry({ status: 'failed', error: 'there is no engine 9; engines are [0, 1]' })] })
    const wrapper = await mountWith(ConsoleView, client)
    expect(wrapper.get('[data-testid="console-error"]').text()).toContain('there is no engine 9')
  })

  it('runs code on the typed targets with Ctrl+Enter and walks the history with Up/Down', async () => {
    const client = new FakeClient({ console: [entry({ id: 'a', n: 1, code: 'a = 1' }), entry({ id: 'b', n: 2, code: 'b = 2' })] })
    client.executeResult = (code, targets) => entry({ id: 'c', n: 3, code, targets, results: [{ engineId: 0, stdout: '', stderr: '', out: '3', error: null }] })
    const wrapper = await mountWith(ConsoleView, client)
    const input = wrapper.get('[data-testid="console-input"]')
    await wrapper.get('[data-testid="console-targets"]').setValue('0,2')
    await input.setValue('a + b')
    await input.trigger('keydown', { key: 'Enter', ctrlKey: true })
    await flushPromises()
    expect(client.callsOf('execute')).toEqual([['a + b', '0,2']])
    expect((input.element as HTMLTextAreaElement).value).toBe('')
    expect(wrapper.findAll('[data-testid="console-entry"]')[0].text()).toContain('[out:0] 3')

    await input.trigger('keydown', { key: 'ArrowUp' })
    expect((input.element as HTMLTextAreaElement).value).toBe('a + b')
    await input.trigger('keydown', { key: 'ArrowUp' })
    expect((input.element as HTMLTextAreaElement).value).toBe('b = 2')
    await input.trigger('keydown', { key: 'ArrowDown' })
    await input.trigger('keydown', { key: 'ArrowDown' })
    expect((input.element as HTMLTextAreaElement).value).toBe('')
  })

  it('refuses a bad target list before sending anything', async () => {
    const client = new FakeClient()
    const wrapper = await mountWith(ConsoleView, client)
    await wrapper.get('[data-testid="console-targets"]').setValue('zero')
    await wrapper.get('[data-testid="console-input"]').setValue('1')
    expect(wrapper.get('[data-testid="console-run"]').attributes('disabled')).toBeDefined()
    await wrapper.get('[data-testid="console-input"]').trigger('keydown', { key: 'Enter', ctrlKey: true })
    expect(client.callsOf('execute')).toEqual([])
  })
})
