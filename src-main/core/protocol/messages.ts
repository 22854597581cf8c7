/**
 * Every message that crosses a clusterdesk stream, declared once and imported by both ends
 * (controller, node agent, engine). Messages are discriminated unions on `type`.
 *
 * A frame's header carries the engine id the frame concerns (see codec.ts), so the agent routes
 * engine traffic without decoding it; `AGENT` marks frames for the agent itself.
 */

/** Bumped whenever a message changes shape; a mismatch fails the handshake with a clear error. */
export const PROTOCOL_VERSION = 4

/** Engine id used in frame headers for messages to or from the node agent itself. */
export const AGENT = -1

/** A remote exception as plain data; rebuilt as `RemoteError` on the controller. */
export interface WireError {
  ename: string
  evalue: string
  /** One string like `Error.stack`: `ename: evalue`, then the frames in the user's code. */
  traceback: string
}

/** A function sent by source, re-created inside the engine's namespace. */
export interface FunctionSource {
  source: string
  name: string
}

// ---- operations a task can carry -------------------------------------------------------

export interface ExecuteOp { op: 'execute'; code: string }
export interface PushOp { op: 'push'; ns: Record<string, unknown> }
export interface PullOp { op: 'pull'; names: string | string[] }
export interface ApplyOp { op: 'apply'; fn: FunctionSource; args: unknown[] }
/** Calls `fn` once per zipped element of `seqs` (a DirectView's per-engine share of a map). */
export interface MapOp { op: 'map'; fn: FunctionSource; seqs: unknown[][] }
/** Loads each module with the engine's `require` and binds it as a global under its key. */
export interface RequireOp { op: 'require'; modules: Record<string, string> }

export type TaskOp = ExecuteOp | PushOp | PullOp | ApplyOp | MapOp | RequireOp
export type TaskMethod = TaskOp['op']

// ---- controller -> engine (routed by the agent) ----------------------------------------

export type TaskMessage = { type: 'task'; id: number } & TaskOp
/** Drops queued tasks that have not started; each is answered with an `aborted` result. */
export interface AbortMessage { type: 'abort'; ids: number[] }

/**
 * Sent through the agent when the controller attaches the engine's direct channel: the frames for
 * the engine that follow come over that channel, so the engine takes its input from it only from
 * here on (this is what keeps task order across the switch).
 */
export interface DirectSwitchMessage { type: 'directSwitch' }

export type ToEngine = TaskMessage | AbortMessage | DirectSwitchMessage

// ---- engine -> controller ---------------------------------------------------------------

export interface RegisteredMessage {
  type: 'registered'
  pid: number
  cwd: string
  nodeVersion: string
  /** V8's heap limit in MB (heap_size_limit: old generation plus young), for out-of-memory reports. */
  heapLimitMB?: number
}

export interface ResultMessage {
  type: 'result'
  id: number
  /** 'ok' with `value`, 'error' with `error`, 'aborted' when dropped before it started. */
  status: 'ok' | 'error' | 'aborted'
  value?: unknown
  error?: WireError
  /** Epoch milliseconds (engine clock). */
  started: number
  completed: number
  /** CPU milliseconds the engine process used for the task (absent for aborted tasks). */
  cpuMs?: number
  /** What the task wrote to stdout / stderr; absent when it wrote nothing (most tasks: two fewer fields each). */
  stdout?: string
  stderr?: string
  /** `util.inspect` of an `execute`'s completion value (the lecture's `Out[n]`), if any. */
  executeResult?: string
}

/** Output written while a task runs, sent as it happens (batched) for live views. */
export interface StreamMessage {
  type: 'stream'
  id: number
  name: 'stdout' | 'stderr'
  text: string
}

/**
 * Sent through the agent by an engine whose direct channel is connected: everything else it sends
 * goes over that channel. Ordered with the agent's `engineExit`, so the controller knows to wait
 * for the channel's last frames before it processes the exit.
 */
export interface DirectOpenedMessage { type: 'directOpened' }

export type FromEngine = RegisteredMessage | ResultMessage | StreamMessage | DirectOpenedMessage

// ---- engine -> controller, on a local engine's direct channel ----------------------------

/** The first frame on a direct channel: which engine it is, and the launcher's secret. */
export interface DirectHelloMessage { type: 'directHello'; engine: number; token: string }

// ---- controller <-> agent ---------------------------------------------------------------

export interface HelloMessage {
  type: 'hello'
  version: number
  /** Filled in by the agent. */
  agent?: {
    pid: number
    host: string
    cores: number
    nodeVersion: string
    platform: string
    /** Most engines the node can hold (memory, open files), and why; absent from older agents. */
    capacity?: { engines: number; why: string }
  }
}

export interface SpawnMessage {
  type: 'spawn'
  /** Global engine ids to start on this node. */
  engines: number[]
  /** Working directory for the engines (default: the agent's). */
  cwd?: string
  /** Extra environment for the engines. */
  env?: Record<string, string>
  /** The engines' `--max-old-space-size` in MB (default: Node's own, from the machine's memory). */
  maxHeapMB?: number
  /** Silence of an engine's liveness beats after which the agent reports it not responding (default 4000). */
  notRespondingMs?: number
}

/** Sends a signal to one engine process: SIGINT interrupts, SIGTERM/SIGKILL stop it. */
export interface SignalMessage { type: 'signal'; engine: number; signal: 'SIGINT' | 'SIGTERM' | 'SIGKILL' }
export interface PingMessage { type: 'ping'; seq: number }
/** Stop every engine of the node and exit. */
export interface ShutdownMessage { type: 'shutdown' }

export type ToAgent = HelloMessage | SpawnMessage | SignalMessage | PingMessage | ShutdownMessage

export interface PongMessage { type: 'pong'; seq: number }
export interface EngineStartedMessage { type: 'engineStarted'; engine: number; pid: number }
export interface EngineExitMessage {
  type: 'engineExit'
  engine: number
  code: number | null
  signal: string | null
  /** Last lines the engine process wrote to its real stderr (crash reports land here). */
  stderrTail: string
  /**
   * V8's `FATAL ERROR: …` line (out of memory, say), kept even when the native stack printed
   * after it pushes it out of `stderrTail`.
   */
  fatal?: string
  /** Why it ended, when the agent knows better than the exit status (a batch job the scheduler ended). */
  reason?: string
}
/**
 * An engine stopped answering (its liveness beats went silent: SIGSTOPped or wedged), or answers
 * again. A busy engine keeps answering: the beats come from its guard thread.
 */
export interface EngineLivenessMessage { type: 'engineLiveness'; engine: number; responding: boolean; silentMs: number }
/** An agent-level failure the controller should show (bad spawn request, fork failure…). */
export interface AgentErrorMessage { type: 'agentError'; message: string }

/**
 * A batch node's job as its scheduler reports it: sent by the submit agent when the state or the
 * reason changes (`PENDING` with `Priority`, `RUNNING`, `TIMEOUT`…, in the scheduler's own words).
 */
export interface JobStateMessage {
  type: 'jobState'
  scheduler: 'slurm' | 'pbs'
  /** The scheduler's job id ('' before the submit answered). */
  job: string
  state: string
  reason: string
}

export type FromAgent =
  | HelloMessage
  | PongMessage
  | EngineStartedMessage
  | EngineExitMessage
  | EngineLivenessMessage
  | AgentErrorMessage
  | JobStateMessage

// ---- compute agent <-> submit agent (a batch job's agents joining over TCP) --------------

/** The submit agent's first frame to a joining compute agent: prove you hold the job's key. */
export interface JoinChallengeMessage { type: 'joinChallenge'; version: number; nonce: string }
/** HMAC-SHA256(key, nonce) in hex, and where the compute agent runs. */
export interface JoinProofMessage { type: 'joinProof'; proof: string; host: string }

export type AnyMessage = ToEngine | FromEngine | ToAgent | FromAgent | DirectHelloMessage | JoinChallengeMessage | JoinProofMessage
