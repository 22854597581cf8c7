/**
 * π runs: the history, the live progress of running ones, and which run the page shows.
 * Records are frozen from Vue's deep reactivity (markRaw): a run can hold 10,000 chunks and
 * thousands of points, and it is always replaced whole, never edited in place.
 */
import { defineStore } from 'pinia'
import { computed, markRaw, ref, shallowRef, watch } from 'vue'
import type { PiRunRequest, RunProgress, RunRecord, ServiceEvent, ServiceSnapshot } from '../../../src-main/service/api'
import { usePersisted } from '../lib/persist'
import { useSessionStore } from './session'

export const useRunsStore = defineStore('runs', () => {
  const byId = shallowRef<Record<string, RunRecord>>({})
  const progress = ref<Record<string, RunProgress>>({})
  /** The run the page shows; null follows the newest. */
  const selectedId = usePersisted<string | null>('pi.selectedRun', null)
  /** The group of the last "Run every mode". */
  const lastGroup = usePersisted<string | null>('pi.lastGroup', null)

  const history = computed(() => Object.values(byId.value).sort((a, b) => b.startedAt - a.startedAt))
  const latest = computed<RunRecord | null>(() => history.value[0] ?? null)
  const current = computed<RunRecord | null>(() => (selectedId.value && byId.value[selectedId.value]) || latest.value)
  const running = computed(() => history.value.filter((r) => r.status === 'running'))
  const currentProgress = computed(() => (current.value ? (progress.value[current.value.id] ?? null) : null))

  /** The runs of one "Run every mode" group, oldest first. */
  const groupRuns = (group: string | null): RunRecord[] =>
    group ? history.value.filter((r) => r.group === group).sort((a, b) => a.startedAt - b.startedAt) : []
  const comparedGroup = computed(() => current.value?.group ?? lastGroup.value ?? history.value.find((r) => r.group)?.group ?? null)

  function put(run: RunRecord): void {
    byId.value = { ...byId.value, [run.id]: markRaw(run) }
    if (run.status !== 'running' && progress.value[run.id]) {
      const { [run.id]: _done, ...rest } = progress.value
      progress.value = rest
    }
  }

  function load(snapshot: ServiceSnapshot): void {
    byId.value = Object.fromEntries(snapshot.runs.map((r) => [r.id, markRaw(r)]))
    progress.value = Object.fromEntries(snapshot.progress.map((p) => [p.runId, p]))
    if (selectedId.value && !byId.value[selectedId.value]) selectedId.value = null
  }

  function drop(id: string): void {
    const { [id]: _gone, ...rest } = byId.value
    byId.value = rest
    if (selectedId.value === id) selectedId.value = null
  }

  function apply(event: Extract<ServiceEvent, { type: 'run' | 'runDeleted' | 'runProgress' }>): void {
    if (event.type === 'run') put(event.run)
    else if (event.type === 'runDeleted') drop(event.runId)
    else if (byId.value[event.progress.runId]?.status !== 'done') progress.value[event.progress.runId] = event.progress
  }

  const api = () => useSessionStore().api()

  /** Starts a run; it resolves at once with the running record, events bring the rest. */
  async function run(request: PiRunRequest): Promise<RunRecord> {
    selectedId.value = null
    const record = await api().runPi(request)
    // The 'run' event may already have brought a newer state of it.
    if (!byId.value[record.id] || record.status !== 'running') put(record)
    return record
  }

  async function runAll(request: Omit<PiRunRequest, 'mode'>): Promise<string> {
    selectedId.value = null
    const group = await api().runAllModes(request)
    lastGroup.value = group
    return group
  }

  const cancel = (id: string): Promise<void> => api().cancelRun(id)

  async function remove(id: string): Promise<void> {
    await api().deleteRun(id)
    drop(id)
  }

  // Snapshots leave chunks and points out of older runs; fetch them when such a run is shown.
  const fetching = new Set<string>()
  watch(current, async (run) => {
    if (!run?.partial || fetching.has(run.id)) return
    fetching.add(run.id)
    try {
      put(await api().getRun(run.id))
    } catch {
      // The run shows its figures without the plots; selecting it again retries.
    } finally {
      fetching.delete(run.id)
    }
  })

  function select(id: string | null): void {
    selectedId.value = id
  }

  return {
    byId, progress, selectedId, lastGroup, history, latest, current, running, currentProgress, comparedGroup,
    groupRuns, load, apply, run, runAll, cancel, remove, select,
  }
})
