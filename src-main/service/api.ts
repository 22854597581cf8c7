/**
 * The service API: the one interface the renderer talks to, through either adapter (Electron IPC
 * or the browser bridge's WebSocket). Types only, plain data only (everything here crosses a
 * process boundary as JSON/structured clone), so the renderer imports it without pulling in Node.
 */

export type { PiEngineShare, PiKernel, PiMode, PiResult } from '../experiments/pi/types'
import type { PiKernel, PiMode, PiResult } from '../experiments/pi/types'
import type { ClientView, ProfileState, ProfileView, RunningTask, TaskBar } from './dashboardApi'
export type { ClientView, ProfileState, ProfileView, RunningTask, TaskBar } from './dashboardApi'

// ---- nodes ----------------------------------------------------------------------------------

export type NodeKind = 'local' | 'ssh' | 'slurm' | 'pbs'

/** What a user enters for a node (the form). */
export interface NodeInput {
  name: string
  kind: NodeKind
  /** Engines to start; null = one per core. */
  engines: number | null
  /** Node.js executable; empty = default (this Node for local nodes, `node` on PATH for SSH). */
  nodePath?: string
  /** Engines' working directory; empty = default. */
  cwd?: string
  /** SSH settings (kind 'ssh' only; the SSH issue fills these in). */
  ssh?: {
    host: string
    port?: number
    user?: string
    identityFile?: string
    /** Use ssh-agent ($SSH_AUTH_SOCK). */
    useAgent?: boolean
  }
  /**
   * Batch settings (kinds 'slurm' and 'pbs'); `engines` is then per allocated node. With `ssh`
   * set, the job is submitted through that login host; without, from this machine.
   */
  batch?: {
    /** Slurm partition or PBS queue. */
    queue: string
    /** The job's time limit (`--time` / `walltime`), e.g. `01:00:00`. */
    time: string
    /** Machines to allocate (default 1). */
    nodes?: number
    account?: string
    /** Shell lines run on each allocated node first (`module load nodejs/20`). */
    setup?: string[]
    /** More sbatch/qsub arguments, one word each. */
    extraArgs?: string[]
  }
}

export interface NodeRecord extends NodeInput {
  id: string
  createdAt: number
  updatedAt: number
}

/** `queued`: a batch node's job waits in the scheduler's queue (`job.reason` says why). */
export type NodeState = 'stopped' | 'connecting' | 'uploading' | 'queued' | 'starting' | 'ready' | 'lost' | 'failed'

export interface NodeStatus {
  nodeId: string
  state: NodeState
  /** Why it failed or was lost. */
  reason?: string
  /**
   * SSH only, when it failed: where the error came from (`client-key`: the identity file needs
   * its passphrase or the given one was wrong; `host-key`: the host key is unknown or changed…).
   */
  level?: string
  /** SSH only, when the host key was refused: the key the host presented, `SHA256:…`. */
  fingerprint?: string
  /** SSH only: the host key is unknown (not changed) and can be trusted with `trustHostKey`. */
  needsTrust?: boolean
  /** Batch nodes: the job as its scheduler last reported it. */
  job?: { scheduler: 'slurm' | 'pbs'; id: string; state: string; reason: string }
  host?: string
  cores?: number
  nodeVersion?: string
  engineIds: number[]
}

export interface NodeTestResult {
  ok: boolean
  message: string
  host?: string
  cores?: number
  nodeVersion?: string
  /** SSH only: the host key's SHA256 fingerprint. */
  fingerprint?: string
  /** SSH only: the host key is unknown; `trustHostKey(node, fingerprint)` trusts it, then test again. */
  needsTrust?: boolean
  /** SSH only, when it failed: the error's level (`client-key`: ask for the key's passphrase). */
  level?: string
}

// ---- engines --------------------------------------------------------------------------------

/** `unresponsive`: alive, but its liveness beats stopped (SIGSTOP, wedged); shown as "not responding". */
export type EngineState = 'starting' | 'idle' | 'busy' | 'interrupting' | 'unresponsive' | 'dead'

export interface EngineView {
  id: number
  nodeId: string
  nodeName: string
  host: string
  pid: number | null
  state: EngineState
  currentTask: number | null
  tasksDone: number
  busyMs: number
  /** Share of the last 10 s (or of its life, if younger) the engine spent running tasks, 0..1. */
  busyShare: number
  /** Resident memory in bytes, when known. */
  memory: number | null
  startedAt: number
  exit: { code: number | null; signal: string | null; reason: string } | null
  /** The tail of what the engine printed (stdout and stderr, interleaved, marked). */
  output: OutputLine[]
}

/** An engine's view in an `engine` event: without `output`, which grows by `output` events. */
export type EngineUpdate = Omit<EngineView, 'output'>

export interface OutputLine {
  stream: 'stdout' | 'stderr'
  text: string
  at: number
}

// ---- runs -----------------------------------------------------------------------------------

export interface PiRunRequest {
  samples: number
  tasks: number
  mode: PiMode
  kernel: PiKernel
  seed: number
  /** Console syntax: 'all', '0,2', '::2', '3'. */
  targets: string
}

export type RunStatus = 'running' | 'done' | 'failed' | 'cancelled'

/**
 * One chunk of a run as it completed: feeds the timeline and convergence plots. Times are epoch
 * milliseconds (engine clock); a task covering several chunks (a block) has its time span shared
 * among them by samples, as it computed them one after the other.
 */
export interface ChunkRecord {
  index: number
  engineId: number
  samples: number
  hits: number
  started: number
  completed: number
  /**
   * Chunks this record stands for (absent = 1): a run of more than 2,000 chunks keeps at most
   * 2,000 records by merging neighbours on one engine; `index` is then the first of them.
   */
  count?: number
}

export interface RunRecord {
  id: string
  /** Runs started together by "Run every mode" share a group. */
  group: string | null
  request: PiRunRequest
  status: RunStatus
  startedAt: number
  finishedAt: number | null
  engines: number
  result: PiResult | null
  error: ErrorRecord | null
  /**
   * In the order they were recorded while the run runs (`runChunks` appends to it), in
   * completion order once it ended.
   */
  chunks: ChunkRecord[]
  /**
   * Up to a few thousand sampled points for the lecture's picture: [x, y, inside] triples. For
   * the seeded and simd kernels they are the first points of the run's own chunks (same generator,
   * same seeds); for math-random, fresh random points.
   */
  points: Array<[number, number, 0 | 1]>
  /** Set when `chunks` and `points` were left out (older runs in a snapshot): `getRun(id)` has them. */
  partial?: true
}

export interface RunProgress {
  runId: string
  tasksDone: number
  /** Chunks the run will compute: the request's tasks, but only the first engine's block in lb-apply. */
  tasks: number
  samplesDone: number
  /** Samples those chunks draw. */
  samples: number
  samplesPerSec: number
  etaMs: number | null
}

// ---- errors, console --------------------------------------------------------------------------

export interface ErrorRecord {
  id: string
  at: number
  /** 'client': a task of another client of the cluster (a script that connected to its profile). */
  source: 'run' | 'console' | 'client'
  /** The run or console entry it came from; for 'client', `client-<n>`. */
  sourceId: string
  engineId: number | null
  nodeName: string | null
  ename: string
  evalue: string
  /** The engine-side stack, one string like `Error.stack`: `ename: evalue`, then the user's frames. */
  traceback: string
  method: string
  /** The code (console) or the mode (run) that raised it. */
  code: string
  /** Set when this error is one of a CompositeError's parts. */
  composite: { index: number; count: number } | null
}

export interface ConsoleEngineResult {
  engineId: number
  stdout: string
  stderr: string
  /** The `Out[n]` text, if the last expression had a value. */
  out: string | null
  error: ErrorRecord | null
}

export interface ConsoleEntry {
  id: string
  n: number
  code: string
  targets: string
  at: number
  durationMs: number | null
  status: 'running' | 'done' | 'failed'
  results: ConsoleEngineResult[]
  /** An error before anything ran (bad targets, no engines). */
  error: string | null
}

// ---- the service ------------------------------------------------------------------------------

/** Lists are ordered: runs and errors newest first, console entries oldest first (as a terminal). */
export interface ServiceSnapshot {
  version: string
  dataDir: string
  nodes: NodeRecord[]
  nodeStatus: NodeStatus[]
  engines: EngineView[]
  /** The last 200 runs; only the 10 newest carry chunks and points (the others are `partial`). */
  runs: RunRecord[]
  progress: RunProgress[]
  console: ConsoleEntry[]
  errors: ErrorRecord[]
  profile: ProfileState
  clients: ClientView[]
  /** The most recent finished tasks (at most a few thousand), oldest first. */
  tasks: TaskBar[]
  /** Tasks finished since the shown cluster was shown (all of them, not only those in `tasks`). */
  tasksTotal: number
  /** The tasks running now, one per busy engine at most. */
  running: RunningTask[]
}

/** Events, delivered in batches (at most every 100 ms) so no number of engines floods the UI. */
export type ServiceEvent =
  | { type: 'nodes'; nodes: NodeRecord[] }
  | { type: 'nodeStatus'; status: NodeStatus }
  /** State, counters, memory: merge into the engine's view, keeping its `output`. */
  | { type: 'engine'; engine: EngineUpdate }
  /** Engines dropped from the list (their node was stopped, or they were restarted as a new id). */
  | { type: 'enginesRemoved'; engineIds: number[] }
  /** New lines of an engine's output, to append to its tail (keep the last 200). */
  | { type: 'output'; engineId: number; lines: OutputLine[] }
  | { type: 'runProgress'; progress: RunProgress }
  /**
   * A run started or ended, or changed otherwise than by new chunks. While it runs, its `chunks`
   * are the records made so far, and `runChunks` events extend them; when it ends, they are all.
   */
  | { type: 'run'; run: RunRecord }
  /**
   * New chunk records of a running run: they go at position `from` of its `chunks` (a run's
   * list only grows while it runs). `from` past the end means some were missed: `getRun` has all.
   */
  | { type: 'runChunks'; runId: string; from: number; chunks: ChunkRecord[] }
  | { type: 'runDeleted'; runId: string }
  | { type: 'console'; entry: ConsoleEntry }
  | { type: 'error'; error: ErrorRecord }
  | { type: 'errorsCleared' }
  | { type: 'profile'; profile: ProfileState }
  | { type: 'clients'; clients: ClientView[] }
  /**
   * Tasks finished since the last batch, to append to the stream (keep a bounded tail; a batch
   * carries the newest 2,000), and `total`: how many finished since the cluster was shown.
   */
  | { type: 'tasks'; tasks: TaskBar[]; total: number }
  /**
   * Tasks that started running since the last batch (each replaces what its engine ran before);
   * a `tasks` event with the same id ends one.
   */
  | { type: 'tasksStarted'; tasks: RunningTask[] }
  /** The shown cluster changed (attach, detach): the stream starts empty. */
  | { type: 'tasksReset' }

/** Every call the renderer can make. Implemented by ClusterService; adapters only forward. */
export interface ClusterServiceApi {
  snapshot(): Promise<ServiceSnapshot>
  saveNode(input: NodeInput & { id?: string }): Promise<NodeRecord>
  deleteNode(id: string): Promise<void>
  /**
   * Checks that a node could start, without starting engines. SSH: connects, reports the host
   * key's fingerprint, the remote Node.js version and cores. `passphrase` decrypts the identity
   * file for this call only (never stored).
   */
  testNode(input: NodeInput, passphrase?: string): Promise<NodeTestResult>
  /** Starts the engines of one node, or of every node when omitted; `passphrase` as for testNode. */
  startNode(id?: string, passphrase?: string): Promise<void>
  /** Stops what is left of a (lost or failed) node and starts it again. */
  reconnectNode(id: string, passphrase?: string): Promise<void>
  /**
   * Trusts an SSH node's host key (a saved node's id, or a node's settings): recorded in the app's
   * trusted keys only if the host still presents the key with this fingerprint. A changed key
   * (another one already trusted) is refused.
   */
  trustHostKey(node: string | NodeInput, fingerprint: string): Promise<void>
  stopNode(id?: string): Promise<void>
  stopEngine(engineId: number): Promise<void>
  restartEngine(engineId: number): Promise<number>
  interrupt(engineIds?: number[]): Promise<void>
  /**
   * Starts a run and resolves at once with its record ('running'); progress and the final record
   * arrive as events. One run at a time: rejects while another run (or group) is running.
   */
  runPi(request: PiRunRequest): Promise<RunRecord>
  /** Runs every mode one after the other with the same request; returns the group id. */
  runAllModes(request: Omit<PiRunRequest, 'mode'>): Promise<string>
  /** Cancels a run (and the rest of its group): queued tasks are aborted, running ones interrupted. */
  cancelRun(runId: string): Promise<void>
  /** A run with its chunks and points (snapshots leave them out of older runs). */
  getRun(runId: string): Promise<RunRecord>
  deleteRun(runId: string): Promise<void>
  /**
   * Runs code on the targets and resolves when every target has finished, with the entry (an
   * event shows it 'running' before). Bad targets or no engines give an entry with `error`.
   */
  execute(code: string, targets: string): Promise<ConsoleEntry>
  clearErrors(): Promise<void>
  /** Every profile with a connection file (the app's own included), asking each controller for its status. */
  listProfiles(): Promise<ProfileView[]>
  /**
   * Shows the cluster running under `profile` (started with `clusterdesk start`, or by a script):
   * its engines, clients and task stream; the console and π runs use it. The app's own nodes keep
   * running. Attaching to the app's own profile is a detach.
   */
  attach(profile: string): Promise<ProfileState>
  /** Back to the app's own cluster; the attached one keeps running. */
  detach(): Promise<ProfileState>
}

export type ServiceMethod = keyof ClusterServiceApi
