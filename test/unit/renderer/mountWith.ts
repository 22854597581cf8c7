/** Mounts a renderer component the way the app does: a fresh Pinia attached to a fake client. */
import { flushPromises, mount } from '@vue/test-utils'
import { NMessageProvider } from 'naive-ui'
import { createPinia, setActivePinia } from 'pinia'
import { defineComponent, h, type Component } from 'vue'
import { useSessionStore } from '../../../src-renderer/src/stores/session'
import type { FakeClient } from './fakeClient'

export async function attachClient(client: FakeClient) {
  const pinia = createPinia()
  setActivePinia(pinia)
  await useSessionStore().attach(client)
  await flushPromises()
  return pinia
}

export async function mountWith(component: Component, client: FakeClient, props: Record<string, unknown> = {}) {
  const pinia = await attachClient(client)
  // Views report failures through naive's message API, which needs its provider above them.
  const Host = defineComponent({ render: () => h(NMessageProvider, null, { default: () => h(component, props) }) })
  const wrapper = mount(Host, { global: { plugins: [pinia] }, attachTo: document.body })
  await flushPromises()
  return wrapper
}
