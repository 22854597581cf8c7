/**
 * The current view lives in the URL hash (`#/engines`), so a reload or a shared link keeps the
 * place; the last one is also remembered in localStorage, for a URL without a hash (the one
 * `clusterdesk serve` prints after a restart).
 */
import { onBeforeUnmount, ref, watch, type Ref } from 'vue'

export const VIEWS = ['nodes', 'engines', 'cluster', 'pi', 'exceptions', 'console'] as const
export type ViewName = (typeof VIEWS)[number]

export function viewFromHash(hash: string): ViewName {
  const name = hash.replace(/^#\/?/, '').split(/[/?]/)[0]
  return (VIEWS as readonly string[]).includes(name) ? (name as ViewName) : 'nodes'
}

const LAST_VIEW = 'clusterdesk.view'

function lastView(): string {
  try {
    return localStorage.getItem(LAST_VIEW) ?? ''
  } catch {
    return ''
  }
}

export function useHashView(): Ref<ViewName> {
  const view = ref<ViewName>(viewFromHash(location.hash || `#/${lastView()}`))
  const onHash = (): void => {
    view.value = viewFromHash(location.hash)
  }
  window.addEventListener('hashchange', onHash)
  onBeforeUnmount(() => window.removeEventListener('hashchange', onHash))
  watch(
    view,
    (name) => {
      if (viewFromHash(location.hash) !== name || !location.hash) location.hash = `#/${name}`
      try {
        localStorage.setItem(LAST_VIEW, name)
      } catch {
        // Storage unavailable (private mode): the hash still keeps the place.
      }
    },
    { immediate: !location.hash && lastView() !== '' },
  )
  return view
}
