/** Every remote error from runs and console entries, grouped by where it came from. */
import { defineStore } from 'pinia'
import { computed, ref } from 'vue'
import type { ErrorRecord, ServiceEvent, ServiceSnapshot } from '../../../src-main/service/api'
import { useSessionStore } from './session'

export interface ErrorGroup {
  /** `run:<id>` or `console:<id>`. */
  key: string
  source: ErrorRecord['source']
  sourceId: string
  /** The code that ran (console) or the run's mode. */
  code: string
  at: number
  /** The group's errors in engine order (a CompositeError's parts in their order). */
  errors: ErrorRecord[]
  /** Set when the group is a CompositeError: how many parts it had in all. */
  compositeCount: number | null
}

export const useErrorsStore = defineStore('errors', () => {
  const list = ref<ErrorRecord[]>([])

  const groups = computed<ErrorGroup[]>(() => {
    const byKey = new Map<string, ErrorGroup>()
    for (const e of list.value) {
      const key = `${e.source}:${e.sourceId}`
      let group = byKey.get(key)
      if (!group) {
        group = { key, source: e.source, sourceId: e.sourceId, code: e.code, at: e.at, errors: [], compositeCount: null }
        byKey.set(key, group)
      }
      group.errors.push(e)
      group.at = Math.max(group.at, e.at)
      if (e.composite) group.compositeCount = Math.max(group.compositeCount ?? 0, e.composite.count)
    }
    const order = (e: ErrorRecord): number => e.composite?.index ?? e.engineId ?? -1
    for (const g of byKey.values()) g.errors.sort((a, b) => order(a) - order(b))
    return [...byKey.values()].sort((a, b) => b.at - a.at)
  })

  function load(snapshot: ServiceSnapshot): void {
    list.value = snapshot.errors
  }

  function apply(event: Extract<ServiceEvent, { type: 'error' | 'errorsCleared' }>): void {
    if (event.type === 'errorsCleared') list.value = []
    else if (!list.value.some((e) => e.id === event.error.id)) list.value.push(event.error)
  }

  async function clear(): Promise<void> {
    await useSessionStore().api().clearErrors()
    list.value = []
  }

  return { list, groups, load, apply, clear }
})
