/** Console entries (the lecture's %px), newest last, and the code history for Up/Down. */
import { defineStore } from 'pinia'
import { computed, ref } from 'vue'
import type { ConsoleEntry, ServiceSnapshot } from '../../../src-main/service/api'
import { useSessionStore } from './session'

export const useConsoleStore = defineStore('console', () => {
  const entries = ref<ConsoleEntry[]>([])

  /** Code as typed, oldest first, without repeats in a row (like a shell's history). */
  const history = computed(() => {
    const out: string[] = []
    for (const e of entries.value) if (out[out.length - 1] !== e.code) out.push(e.code)
    return out
  })
  const byId = (id: string): ConsoleEntry | undefined => entries.value.find((e) => e.id === id)

  function load(snapshot: ServiceSnapshot): void {
    entries.value = [...snapshot.console].sort((a, b) => a.n - b.n)
  }

  function apply(entry: ConsoleEntry): void {
    const i = entries.value.findIndex((e) => e.id === entry.id)
    if (i >= 0) entries.value[i] = entry
    else entries.value = [...entries.value, entry].sort((a, b) => a.n - b.n)
  }

  async function execute(code: string, targets: string): Promise<ConsoleEntry> {
    const entry = await useSessionStore().api().execute(code, targets)
    apply(entry)
    return entry
  }

  return { entries, history, byId, load, apply, execute }
})
