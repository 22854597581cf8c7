/**
 * The client protocol (a connected Client ↔ the controller), declared once for both ends. Same
 * framing as every clusterdesk stream (codec.ts); control frames carry AGENT in their header.
 *
 * It opens with a version check and an HMAC-SHA256 challenge-response over the connection file's
 * key (the key never crosses the wire): the controller sends `challenge`, the client answers
 * `auth` with its MAC and its own nonce, the controller answers `welcome` with its MAC (so the
 * client knows it reached the holder of the key) or `refused`. Nothing else is read before that.
 *
 * Tasks are encoded once, on the client: a `submit` is followed by one raw task frame per entry,
 * which the controller relays to the engine as it is; a `done` lists the tasks whose result
 * frames follow it (`frames`, their ids: the frames are the engines' own, relayed back the same
 * way) and those that ended without one (`tasks`). A large result is passed on as it arrives
 * instead: `relay` announces that the next frame is that task's result, and the task's `done`
 * entry (`relayed: true`) follows it once the engine's frame was complete. An entry without
 * `relayed` after a relay (the engine died mid-frame: the frame was padded to its length) means the
 * relayed frame is not the result.
 */
import type { EngineInfo } from '../client/EngineHandle'
import type { ClientInfo, TaskEvent } from '../controller/Monitor'
import type { TaskMethod, WireError } from './messages'

/** Bumped whenever a client-protocol message changes shape. */
export const CLIENT_PROTOCOL_VERSION = 3

/** Largest frame the controller reads before the client has proved the key. */
export const MAX_UNAUTHENTICATED_FRAME = 4096

export interface ChallengeMessage { type: 'challenge'; version: number; nonce: Uint8Array }
/**
 * `pid` and `host` name the client in monitors' client lists (optional: older clients omit them);
 * `probe`: a connection that only asks (listProfiles' status, a profile claim), not listed there.
 */
export interface AuthMessage { type: 'auth'; version: number; nonce: Uint8Array; mac: Uint8Array; pid?: number; host?: string; probe?: boolean }
export interface WelcomeMessage { type: 'welcome'; mac: Uint8Array; clientNo: number; engines: EngineInfo[] }
export interface RefusedMessage { type: 'refused'; reason: string }

export interface SubmitEntry {
  /** The client's task id (its client number times 2^32 plus its count, see Task.ts). */
  id: number
  method: TaskMethod
  /** The engine of a direct task; null for a load-balanced one. */
  engineId: number | null
  /** Load-balanced: engines it may run on (null: any), retries, and how long it may wait (ms, 0: forever). */
  allowed?: number[] | null
  retries?: number
  timeoutMs?: number
}

/**
 * One entry per task, in the order of the frames that follow; a number stands for a load-balanced
 * task with no options (any engine, no retries, no timeout) of method `method`: a map's tasks, or
 * many lb applies, cost the controller one number each to read.
 */
export interface SubmitMessage { type: 'submit'; tasks: Array<SubmitEntry | number>; method?: TaskMethod }
export interface AbortTasksMessage { type: 'abort'; ids: number[] }

/** `monitor` with args true starts the client's monitoring feed (`monitor` messages), false stops it. */
export type RequestMethod = 'interrupt' | 'status' | 'addNodes' | 'stopNode' | 'shutdown' | 'monitor'
export interface RequestMessage { type: 'request'; rid: number; method: RequestMethod; args?: unknown }

/** An error decided by the controller (not an engine's result), as plain data. */
export interface WireTaskError extends WireError {
  kind: 'RemoteError' | 'EngineError' | 'TaskAborted' | 'TaskTimeout'
  engineId: number
  method: string
  exitCode?: number | null
  signal?: string | null
  timeoutMs?: number
}

/** A task that ended with no result frame after the `done`: an error the controller decided, or a relayed result. */
export interface DoneEntry {
  id: number
  engineId: number | null
  /** Why the task ended (none: it ended without a result, which only a relayed one has). */
  error?: WireTaskError
  /** Its result is the frame that followed its `relay`. */
  relayed?: boolean
}

/** The next frame is task `id`'s result, passed on as it arrives from the engine (see above). */
export interface RelayMessage { type: 'relay'; id: number }

/**
 * `frames`: the tasks whose result frames follow, in order (their engine is the frame header's;
 * an error result is rebuilt from the frame). Ids alone, not entries: one per task, each way.
 */
export interface DoneMessage { type: 'done'; frames?: number[]; tasks?: DoneEntry[]; runs?: number[] }
/**
 * `engines`: engines as they are now, whole. `runs` (here or on a `done`, applied before its
 * entries): engines that only went busy or idle since the client last heard of them, five numbers
 * each (see ENGINE_RUN_FIELDS), so a tiny task's engine change costs no object on either end.
 */
export interface EnginesMessage { type: 'engines'; engines?: EngineInfo[]; runs?: number[] }

/** A run entry: id, 1 busy / 0 idle, the current task (-1: none), tasks done, busy ms. */
export const ENGINE_RUN_FIELDS = 5
export interface ClientStreamMessage { type: 'stream'; engineId: number; taskId: number; name: 'stdout' | 'stderr'; text: string }
export interface NodeEventMessage { type: 'node'; node: string; message: string }
/** A monitoring batch: every client's task events, and the clients when they changed. */
export interface MonitorMessage { type: 'monitor'; tasks?: TaskEvent[]; clients?: ClientInfo[] }
export interface ReplyMessage { type: 'reply'; rid: number; value?: unknown; error?: { name: string; message: string } }

export type ToController = AuthMessage | SubmitMessage | AbortTasksMessage | RequestMessage
export type FromController = ChallengeMessage | WelcomeMessage | RefusedMessage | DoneMessage | RelayMessage | EnginesMessage | ClientStreamMessage | NodeEventMessage | ReplyMessage | MonitorMessage

/** null for a well-formed `runs` list (see EnginesMessage), else what is wrong with it (guards.ts style). */
export function checkEngineRuns(runs: unknown): string | null {
  if (!Array.isArray(runs) || runs.length % ENGINE_RUN_FIELDS !== 0) return `runs is not a list of ${ENGINE_RUN_FIELDS}-number entries`
  for (let i = 0; i < runs.length; i++) {
    const v: unknown = runs[i]
    const ok = i % ENGINE_RUN_FIELDS === ENGINE_RUN_FIELDS - 1 ? typeof v === 'number' && v >= 0 : Number.isInteger(v) && (v as number) >= -1
    if (!ok) return `runs[${i}] is ${typeof v === 'number' ? v : typeof v}, not a count`
  }
  return null
}
