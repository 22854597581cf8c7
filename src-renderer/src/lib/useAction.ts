/**
 * Runs a service call from a button: tracks that it is pending (to disable the button) and shows
 * a failure as a message, since a click has nowhere else to report it.
 */
import { useMessage } from 'naive-ui'
import { ref } from 'vue'

export function useAction() {
  const message = useMessage()
  const pending = ref(0)

  async function act<T>(fn: () => Promise<T>, success?: string): Promise<T | undefined> {
    pending.value++
    try {
      const value = await fn()
      if (success) message.success(success)
      return value
    } catch (err) {
      const e = err instanceof Error ? err : new Error(String(err))
      message.error(`${e.name && e.name !== 'Error' ? `${e.name}: ` : ''}${e.message}`, { duration: 8000, closable: true })
      return undefined
    } finally {
      pending.value--
    }
  }

  return { act, pending, message }
}
