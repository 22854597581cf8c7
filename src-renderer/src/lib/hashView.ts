/** The current view lives in the URL hash (`#/engines`), so a reload or a shared link keeps the place. */
import { onBeforeUnmount, ref, watch, type Ref } from 'vue'

export const VIEWS = ['nodes', 'engines', 'pi', 'exceptions', 'console'] as const
export type ViewName = (typeof VIEWS)[number]

export function viewFromHash(hash: string): ViewName {
  const name = hash.replace(/^#\/?/, '').split(/[/?]/)[0]
  return (VIEWS as readonly string[]).includes(name) ? (name as ViewName) : 'nodes'
}

export function useHashView(): Ref<ViewName> {
  const view = ref<ViewName>(viewFromHash(location.hash))
  const onHash = (): void => {
    view.value = viewFromHash(location.hash)
  }
  window.addEventListener('hashchange', onHash)
  onBeforeUnmount(() => window.removeEventListener('hashchange', onHash))
  watch(view, (name) => {
    if (viewFromHash(location.hash) !== name || !location.hash) location.hash = `#/${name}`
  })
  return view
}
