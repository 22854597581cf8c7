/**
 * The shown cluster as a dashboard: its profile (the app's own or an attached one), the running
 * profiles, the connected clients and the task stream of every client. The stream is a bounded
 * tail kept outside Vue's reactivity; a redraw tick, at most every STREAM_REDRAW_MS, tells the
 * chart to read it again, so 100,000 tasks from a script are a few redraws a second.
 */
import { defineStore } from 'pinia'
import { computed, ref, shallowRef } from 'vue'
import type { ClientView, ProfileState, ProfileView, RunningTask, ServiceEvent, ServiceSnapshot, TaskBar } from '../../../src-main/service/api'
import { useSessionStore } from './session'

/** Finished tasks kept for the stream (the newest). */
export const MAX_STREAM_TASKS = 20_000
/** Shortest time between two redraws of the stream (≤ 4 a second). */
export const STREAM_REDRAW_MS = 250

type ClusterEvent = Extract<ServiceEvent, { type: 'profile' | 'clients' | 'tasks' | 'tasksStarted' | 'tasksReset' }>

export const useClusterStore = defineStore('cluster', () => {
  const profile = ref<ProfileState>({ own: null, ownError: null, current: null, attached: false })
  const profiles = ref<ProfileView[]>([])
  const profilesLoaded = ref(false)
  const clients = shallowRef<ClientView[]>([])
  /** Bumped at each redraw: the chart's computed reads `tasks()` again. */
  const tick = ref(0)
  /** Tasks finished since the service showed this cluster (not only those kept). */
  const total = ref(0)
  let bars: TaskBar[] = []
  /** Engine id → the task it runs now (its bar grows until its `tasks` event ends it). */
  let running = new Map<number, RunningTask>()
  /** While tasks run, their bars are redrawn this often even without events. */
  let growTimer: ReturnType<typeof setInterval> | undefined
  let redrawTimer: ReturnType<typeof setTimeout> | undefined
  let lastRedraw = 0

  const others = computed(() => clients.value.filter((c) => !c.self))

  function redraw(): void {
    redrawTimer = undefined
    lastRedraw = Date.now()
    tick.value++
  }

  function scheduleRedraw(): void {
    if (redrawTimer === undefined) redrawTimer = setTimeout(redraw, Math.max(0, lastRedraw + STREAM_REDRAW_MS - Date.now()))
  }

  function append(next: TaskBar[], finished: number): void {
    total.value = finished
    for (const t of next) if (t.engineId !== null && running.get(t.engineId)?.id === t.id) running.delete(t.engineId)
    keepGrowing()
    bars = bars.length + next.length > MAX_STREAM_TASKS ? bars.concat(next).slice(-MAX_STREAM_TASKS) : bars.concat(next)
    scheduleRedraw()
  }

  /** The kept tail of finished tasks, oldest first (read it in a computed that also reads `tick`). */
  function tasks(): TaskBar[] {
    return bars
  }

  /** The tasks running now, one per engine (read it in a computed that also reads `tick`). */
  function runningTasks(): RunningTask[] {
    return [...running.values()]
  }

  function started(next: RunningTask[]): void {
    for (const t of next) running.set(t.engineId, t)
    keepGrowing()
    scheduleRedraw()
  }

  function keepGrowing(): void {
    if (running.size && growTimer === undefined) growTimer = setInterval(scheduleRedraw, 1000)
    else if (!running.size && growTimer !== undefined) {
      clearInterval(growTimer)
      growTimer = undefined
    }
  }

  function load(snapshot: ServiceSnapshot): void {
    profile.value = snapshot.profile
    clients.value = snapshot.clients
    bars = []
    running = new Map()
    total.value = 0
    append(snapshot.tasks, snapshot.tasksTotal)
    started(snapshot.running ?? [])
  }

  function apply(event: ClusterEvent): void {
    if (event.type === 'profile') {
      profile.value = event.profile
      void refreshProfiles()
    } else if (event.type === 'clients') clients.value = event.clients
    else if (event.type === 'tasks') append(event.tasks, event.total)
    else if (event.type === 'tasksStarted') started(event.tasks)
    else {
      bars = []
      running = new Map()
      keepGrowing()
      total.value = 0
      scheduleRedraw()
    }
  }

  const api = () => useSessionStore().api()

  async function refreshProfiles(): Promise<ProfileView[]> {
    try {
      profiles.value = await api().listProfiles()
    } finally {
      profilesLoaded.value = true
    }
    return profiles.value
  }

  async function attach(name: string): Promise<void> {
    profile.value = await api().attach(name)
    await refreshProfiles()
  }

  async function detach(): Promise<void> {
    profile.value = await api().detach()
    await refreshProfiles()
  }

  return { profile, profiles, profilesLoaded, clients, others, tick, total, tasks, runningTasks, load, apply, refreshProfiles, attach, detach }
})
