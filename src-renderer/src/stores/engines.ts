/** Every engine the service knows, live and dead, with the tail of its output. */
import { defineStore } from 'pinia'
import { computed, ref } from 'vue'
import type { EngineState, EngineView, ServiceEvent, ServiceSnapshot } from '../../../src-main/service/api'
import { useSessionStore } from './session'

/** Output lines kept per engine: enough to see what went wrong, bounded for 32 chatty engines. */
export const OUTPUT_TAIL = 200

export const useEnginesStore = defineStore('engines', () => {
  const byId = ref<Record<number, EngineView>>({})

  const list = computed(() => Object.values(byId.value).sort((a, b) => a.id - b.id))
  const live = computed(() => list.value.filter((e) => e.state !== 'dead'))
  const counts = computed(() => {
    const out: Record<EngineState, number> = { starting: 0, idle: 0, busy: 0, interrupting: 0, unresponsive: 0, dead: 0 }
    for (const e of list.value) out[e.state]++
    return out
  })

  function load(snapshot: ServiceSnapshot): void {
    byId.value = Object.fromEntries(snapshot.engines.map((e) => [e.id, e]))
  }

  function apply(event: Extract<ServiceEvent, { type: 'engine' | 'enginesRemoved' | 'output' }>): void {
    if (event.type === 'engine') {
      // Updates leave `output` out: it only grows, by 'output' events.
      byId.value[event.engine.id] = { ...event.engine, output: byId.value[event.engine.id]?.output ?? [] }
      return
    }
    if (event.type === 'enginesRemoved') {
      for (const id of event.engineIds) delete byId.value[id]
      return
    }
    const engine = byId.value[event.engineId]
    if (!engine) return
    engine.output = [...engine.output, ...event.lines].slice(-OUTPUT_TAIL)
  }

  const api = () => useSessionStore().api()
  const interrupt = (ids?: number[]): Promise<void> => api().interrupt(ids)
  const restart = (id: number): Promise<number> => api().restartEngine(id)
  const stop = (id: number): Promise<void> => api().stopEngine(id)
  const startAll = (): Promise<void> => api().startNode()
  const stopAll = (): Promise<void> => api().stopNode()

  return { byId, list, live, counts, load, apply, interrupt, restart, stop, startAll, stopAll }
})
