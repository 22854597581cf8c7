// @vitest-environment happy-dom
import { flushPromises, mount, type VueWrapper } from '@vue/test-utils'
import { beforeEach, describe, expect, it } from 'vitest'
import PiForm from '../../../src-renderer/src/components/pi/PiForm.vue'

beforeEach(() => localStorage.clear())

function mountForm(props: { busy?: boolean; engineIds?: number[] } = {}) {
  return mount(PiForm, { props: { busy: false, engineIds: [0, 1, 2, 3], ...props }, attachTo: document.body })
}

async function type(wrapper: VueWrapper, testid: string, value: string): Promise<void> {
  await wrapper.get(`[data-testid="${testid}"]`).setValue(value)
  await flushPromises()
}

const runButton = (w: VueWrapper) => w.get('[data-testid="pi-run"]')
const feedback = (w: VueWrapper) => w.findAll('.n-form-item-feedback__line').map((n) => n.text())

describe('the π form', () => {
  it('accepts its defaults and submits them as numbers on Enter', async () => {
    const wrapper = mountForm()
    expect(runButton(wrapper).attributes('disabled')).toBeUndefined()
    await type(wrapper, 'pi-samples', '1e6')
    await type(wrapper, 'pi-targets', '::2')
    await wrapper.get('form').trigger('submit')
    expect(wrapper.emitted('run')).toEqual([[{ samples: 1_000_000, tasks: 16, mode: 'lb-map', kernel: 'seeded', seed: 42, targets: '::2' }]])
  })

  it.each([
    ['simd', false],
    ['math-random', true],
  ])('with kernel %s the seed is disabled: %s (simd is seeded too)', async (kernel, disabled) => {
    localStorage.setItem('clusterdesk.pi.form', JSON.stringify({ kernel }))
    const wrapper = mountForm()
    expect(wrapper.get('[data-testid="pi-seed"]').attributes('disabled') !== undefined).toBe(disabled)
    expect(wrapper.text()).toContain(kernel === 'simd' ? 'WebAssembly SIMD' : 'Math.random')
    await type(wrapper, 'pi-seed', '7')
    await wrapper.get('form').trigger('submit')
    expect(wrapper.emitted('run')?.[0]?.[0]).toMatchObject({ kernel, seed: kernel === 'simd' ? 7 : 42 })
  })

  it.each([
    ['0', /at least 1/],
    ['-1', /at least 1/],
    ['1.5', /whole number/],
    ['abc', /whole number/],
    ['0x10', /whole number/],
    ['', /required/],
  ])('rejects samples %j inline and disables Run', async (value, message) => {
    const wrapper = mountForm()
    await type(wrapper, 'pi-samples', value)
    expect(feedback(wrapper).some((t) => message.test(t))).toBe(true)
    expect(runButton(wrapper).attributes('disabled')).toBeDefined()
    expect(wrapper.get('[data-testid="pi-run-all"]').attributes('disabled')).toBeDefined()
    await wrapper.get('form').trigger('submit')
    expect(wrapper.emitted('run')).toBeUndefined()
  })

  it.each(['0', '-1', '1.5', 'abc'])('rejects tasks %j inline', async (value) => {
    const wrapper = mountForm()
    await type(wrapper, 'pi-tasks', value)
    expect(feedback(wrapper).some((t) => t.startsWith('Tasks'))).toBe(true)
    expect(runButton(wrapper).attributes('disabled')).toBeDefined()
  })

  it('rejects more tasks than the service takes', async () => {
    const wrapper = mountForm()
    await type(wrapper, 'pi-samples', '1e9')
    await type(wrapper, 'pi-tasks', '2000000')
    expect(feedback(wrapper)).toContain('Tasks can be at most 1,000,000')
    expect(runButton(wrapper).attributes('disabled')).toBeDefined()
  })

  it.each([
    ['9', 'there is no engine 9 (engines now: 0, 1, 2)'],
    ['0,5', 'there is no engine 5 (engines now: 0, 1, 2)'],
    ['-4', 'there is no engine -4 (engines now: 0, 1, 2)'],
    ['5:', '"5:" selects no engine (engines now: 0, 1, 2)'],
  ])('checks targets %j against the live engines', async (value, message) => {
    const wrapper = mountForm({ engineIds: [0, 1, 2] })
    await type(wrapper, 'pi-targets', value)
    expect(feedback(wrapper)).toContain(message)
    expect(runButton(wrapper).attributes('disabled')).toBeDefined()
    await type(wrapper, 'pi-targets', '-1')
    expect(runButton(wrapper).attributes('disabled')).toBeUndefined()
  })

  it('rejects more tasks than samples', async () => {
    const wrapper = mountForm()
    await type(wrapper, 'pi-samples', '100')
    await type(wrapper, 'pi-tasks', '101')
    expect(feedback(wrapper)).toContain("Tasks can't exceed samples (100): each task needs a sample")
    await type(wrapper, 'pi-tasks', '100')
    expect(feedback(wrapper).join()).not.toMatch(/exceed/)
    expect(runButton(wrapper).attributes('disabled')).toBeUndefined()
  })

  it.each([
    ['all', true],
    ['3', true],
    ['0,2', true],
    ['::2', true],
    ['1:', true],
    ['x', false],
    ['0,,2', false],
    ['::0', false],
    ['1:2:3:4', false],
  ])('checks the targets syntax: %j valid=%s', async (value, ok) => {
    const wrapper = mountForm()
    await type(wrapper, 'pi-targets', value)
    expect(runButton(wrapper).attributes('disabled') === undefined).toBe(ok)
  })

  it('keeps typed values across a reload (localStorage)', async () => {
    const first = mountForm()
    await type(first, 'pi-samples', '12345')
    first.unmount()
    const second = mountForm()
    expect((second.get('[data-testid="pi-samples"]').element as HTMLInputElement).value).toBe('12345')
  })

  it('emits Run every mode without a mode, and says why it is blocked with no engines', async () => {
    const wrapper = mountForm()
    await wrapper.get('[data-testid="pi-run-all"]').trigger('click')
    const [request] = wrapper.emitted('runAll')![0] as [Record<string, unknown>]
    expect(request).not.toHaveProperty('mode')
    expect(request.samples).toBe(10_000_000)

    const idle = mountForm({ engineIds: [] })
    expect(idle.text()).toContain('Start engines first')
    expect(runButton(idle).attributes('disabled')).toBeDefined()
  })
})
