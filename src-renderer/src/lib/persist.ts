/** Form values that survive a reload: a ref mirrored into localStorage under `clusterdesk.<key>`. */
import { ref, watch, type Ref } from 'vue'

const PREFIX = 'clusterdesk.'

function read<T>(key: string, defaults: T): T {
  try {
    const raw = localStorage.getItem(PREFIX + key)
    if (raw === null) return defaults
    const value = JSON.parse(raw) as unknown
    // Objects merge over the defaults, so a field added in a later version still gets its default.
    if (defaults && typeof defaults === 'object' && !Array.isArray(defaults) && value && typeof value === 'object') {
      return { ...defaults, ...(value as object) }
    }
    return typeof value === typeof defaults || defaults === null ? (value as T) : defaults
  } catch {
    return defaults
  }
}

export function usePersisted<T>(key: string, defaults: T): Ref<T> {
  const state = ref(read(key, defaults)) as Ref<T>
  watch(
    state,
    (value) => {
      try {
        localStorage.setItem(PREFIX + key, JSON.stringify(value))
      } catch {
        // Storage full or disabled (private mode): the form still works, it just won't be restored.
      }
    },
    { deep: true },
  )
  return state
}
