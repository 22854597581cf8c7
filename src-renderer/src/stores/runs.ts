/**
 * π runs: the history, the live progress of running ones, and which run the page shows.
 * Records are kept out of Vue's deep reactivity (markRaw): a run can hold thousands of chunks and
 * points. A record is replaced whole, except that a running run's `runChunks` are appended to its
 * chunk list in place; the record is then swapped for a shallow copy, at most every
 * CHUNK_REDRAW_MS, which is what makes its charts redraw.
 */
import { defineStore } from 'pinia'
import { computed, markRaw, ref, shallowRef, watch } from 'vue'
import type { PiRunRequest, RunProgress, RunRecord, ServiceEvent, ServiceSnapshot } from '../../../src-main/service/api'
import { usePersisted } from '../lib/persist'
import { useSessionStore } from './session'

/** Shortest time between two updates of a running run from its new chunks (its charts redraw on each). */
export const CHUNK_REDRAW_MS = 250

type RunEvent = Extract<ServiceEvent, { type: 'run' | 'runChunks' | 'runDeleted' | 'runProgress' }>

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

  // Runs whose chunk list grew since their record was last swapped, and the timer that swaps them.
  const grown = new Set<string>()
  let redrawTimer: ReturnType<typeof setTimeout> | undefined
  let lastRedraw = 0

  function put(run: RunRecord): void {
    grown.delete(run.id)
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

  function redraw(): void {
    redrawTimer = undefined
    if (grown.size === 0) return
    lastRedraw = Date.now()
    const next = { ...byId.value }
    for (const id of grown) if (next[id]) next[id] = markRaw({ ...next[id] })
    grown.clear()
    byId.value = next
  }

  /** New chunks of a running run go at the end of its list; those it already has are skipped. */
  function appendChunks({ runId, from, chunks }: Extract<ServiceEvent, { type: 'runChunks' }>): void {
    const run = byId.value[runId]
    // A run that ended (or is not loaded) has, or will have, its whole list from its record.
    if (!run || run.status !== 'running' || run.partial) return
    const list = run.chunks
    const had = list.length
    if (from > had) return void refetch(runId) // some were missed
    for (let i = had - from; i < chunks.length; i++) list.push(chunks[i])
    if (list.length === had) return
    grown.add(runId)
    if (redrawTimer === undefined) redrawTimer = setTimeout(redraw, Math.max(0, lastRedraw + CHUNK_REDRAW_MS - Date.now()))
  }

  function apply(event: RunEvent): void {
    if (event.type === 'run') put(event.run)
    else if (event.type === 'runChunks') appendChunks(event)
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
  async function refetch(id: string): Promise<void> {
    if (fetching.has(id)) return
    fetching.add(id)
    try {
      const run = await api().getRun(id)
      // An event may have brought a newer state meanwhile (a running run's list only grows).
      const now = byId.value[id]
      if (now && now.status === 'running' && run.status === 'running' && !now.partial && now.chunks.length > run.chunks.length) return
      if (now) put(run)
    } catch {
      // The run shows its figures without the plots; selecting it again retries.
    } finally {
      fetching.delete(id)
    }
  }
  watch(current, (run) => {
    if (run?.partial) void refetch(run.id)
  })

  function select(id: string | null): void {
    selectedId.value = id
  }

  return {
    byId, progress, selectedId, lastGroup, history, latest, current, running, currentProgress, comparedGroup,
    groupRuns, load, apply, run, runAll, cancel, remove, select,
  }
})
