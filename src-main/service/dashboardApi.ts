/**
 * The service API's types for the dashboard of every client: which cluster the app shows, the
 * running profiles, the connected clients and the task stream. Types only, plain data (see api.ts,
 * which re-exports them).
 */

/** Which cluster the app shows: its own (published under `own`) or one it attached to. */
export interface ProfileState {
  /** The profile the app's own cluster is published under; null if publishing failed (`ownError`). */
  own: string | null
  ownError: string | null
  /** The profile whose cluster the app shows now (engines, console, runs, clients, task stream). */
  current: string | null
  /** True while the app shows a cluster started elsewhere (`clusterdesk start`, a script). */
  attached: boolean
  /** Why the app went back to its own cluster by itself (the attached one stopped), if it did. */
  lost?: string
}

/** A profile with a connection file, as listed by `listProfiles`. */
export interface ProfileView {
  profile: string
  state: 'running' | 'stale'
  pid: number
  engines: number | null
  clients: number | null
  uptimeS: number | null
  /** The app's own cluster's profile. */
  own: boolean
  /** The profile shown now. */
  current: boolean
}

/** One client of the shown cluster (client 0 is the process that runs its controller). */
export interface ClientView {
  clientNo: number
  pid: number | null
  host: string | null
  /** Epoch ms it connected (client 0: when the controller started). */
  since: number
  /** Waiting: for an engine, or behind another task on its engine. */
  queued: number
  /** Running on an engine now. */
  running: number
  done: number
  failed: number
  /** This app's own client. */
  self: boolean
}

/** A finished task, as the task stream draws it. Times are epoch ms. */
export interface TaskBar {
  id: number
  client: number
  /** The engine that ran it (null: it never reached one). */
  engineId: number | null
  method: string
  submitted: number
  started: number | null
  completed: number | null
  status: 'ok' | 'error' | 'aborted'
}

/**
 * A task running on an engine now (one per engine at most: engines run their tasks one at a time).
 * `started` is when the controller saw it reach the engine's head (engines announce no start);
 * its TaskBar, with the same id, replaces it when it finishes.
 */
export interface RunningTask {
  id: number
  client: number
  engineId: number
  method: string
  submitted: number
  started: number
}
