// @vitest-environment happy-dom
import { mount } from '@vue/test-utils'
import { beforeEach, describe, expect, it } from 'vitest'
import { defineComponent, h, nextTick } from 'vue'
import { useHashView } from '../../../src-renderer/src/lib/hashView'

const Probe = defineComponent({
  setup() {
    const view = useHashView()
    return () => h('span', { 'data-view': view.value, onClick: () => (view.value = 'console') })
  },
})

describe('the current view', () => {
  beforeEach(() => {
    localStorage.clear()
    location.hash = ''
  })

  it('comes from the hash, and is remembered for a URL without one (a restarted server)', async () => {
    location.hash = '#/pi'
    const first = mount(Probe)
    expect(first.get('span').attributes('data-view')).toBe('pi')
    await first.get('span').trigger('click')
    await nextTick()
    expect(location.hash).toBe('#/console')
    first.unmount()

    location.hash = ''
    const second = mount(Probe)
    expect(second.get('span').attributes('data-view')).toBe('console')
    await nextTick()
    expect(location.hash).toBe('#/console')
  })

  it('starts on Nodes the first time', () => {
    expect(mount(Probe).get('span').attributes('data-view')).toBe('nodes')
  })
})
