/**
 * Checks of every message that arrives from another process, before anything uses it: a peer
 * (a broken agent, user code writing to an engine's stream, a stranger on a socket) may send any
 * value, and a field of the wrong type must cost that message, never the process.
 *
 * Each `check*` returns null for a well-formed message, else what is wrong with it, in words
 * for a node event or a close reason (`result.id is "7", not an integer`).
 */
import { PROTOCOL_VERSION, type DirectHelloMessage, type FromAgent, type FromEngine, type ToAgent, type ToEngine, type WireError } from './messages'

/** null when `value` passes, else what it is instead of what was expected. */
type Check = (value: unknown) => string | null

/** A short description of a value that failed a check (never its whole content). */
export function describeValue(value: unknown): string {
  if (value === null) return 'null'
  if (value === undefined) return 'missing'
  if (Array.isArray(value)) return 'an array'
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value)
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`
}

const must = (ok: (v: unknown) => boolean, what: string): Check => (v) => (ok(v) ? null : `is ${describeValue(v)}, not ${what}`)

/** `engines` + `[1] is "1", …` → `engines[1] is "1", …`; a plain problem follows after a space. */
const at = (key: string, problem: string): string => (problem.startsWith('.') || problem.startsWith('[') ? `${key}${problem}` : `${key} ${problem}`)

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)

const str = must((v) => typeof v === 'string', 'a string')
const int = must((v) => Number.isInteger(v), 'an integer')
/** Engine ids, process ids, sequence numbers. */
const id = must((v) => Number.isInteger(v) && (v as number) >= 0, 'an integer >= 0')
const num = must((v) => typeof v === 'number' && Number.isFinite(v), 'a finite number')
const anything: Check = () => null
const oneOf = (...values: readonly string[]): Check => must((v) => values.includes(v as string), `one of ${values.join(', ')}`)
const optional = (check: Check): Check => (v) => (v === undefined ? null : check(v))
const orNull = (check: Check, what: string): Check => (v) => (v === null || check(v) === null ? null : `is ${describeValue(v)}, not ${what} or null`)
const arrayOf = (check: Check, what: string): Check => (v) => {
  if (!Array.isArray(v)) return `is ${describeValue(v)}, not an array of ${what}`
  const bad = v.findIndex((item) => check(item) !== null)
  return bad < 0 ? null : at(`[${bad}]`, check(v[bad])!)
}
const recordOf = (check: Check, what: string): Check => (v) => {
  if (!isObject(v)) return `is ${describeValue(v)}, not an object of ${what}`
  for (const [key, item] of Object.entries(v)) {
    const problem = check(item)
    if (problem) return at(`.${key}`, problem)
  }
  return null
}

type Shape = Record<string, Check>

/** Checks an object's fields (extra fields are let through: they are never read). */
const shape = (fields: Shape): Check => (v) => {
  if (!isObject(v)) return `is ${describeValue(v)}, not an object`
  // for…in, not Object.entries: this runs for every message, and allocates nothing.
  for (const key in fields) {
    const problem = fields[key](v[key])
    if (problem) return at(`.${key}`, problem)
  }
  return null
}

const wireError: Shape = { ename: str, evalue: str, traceback: str }
const functionSource = shape({ source: str, name: str })

/** Checks a message of a discriminated union: its `type` must be one of `shapes`, then its fields. */
function union(kind: string, shapes: Record<string, Shape>, value: unknown): string | null {
  if (!isObject(value)) return `${kind} ${describeValue(value)} is not an object with a type`
  const type = value.type
  if (typeof type !== 'string' || !Object.hasOwn(shapes, type)) return `${kind} has an unknown type ${describeValue(type)}`
  const fields = shapes[type]
  for (const key in fields) {
    const problem = fields[key](value[key])
    if (problem) return at(`${type}.${key}`, problem)
  }
  return null
}

// ---- controller <- agent, engine ----------------------------------------------------------

const FROM_AGENT: Record<FromAgent['type'], Shape> = {
  hello: {
    version: int,
    agent: shape({
      pid: id,
      host: str,
      cores: id,
      nodeVersion: str,
      platform: str,
      capacity: optional(shape({ engines: id, why: str })),
    }),
  },
  pong: { seq: int },
  engineStarted: { engine: id, pid: id },
  engineExit: { engine: id, code: orNull(int, 'an integer'), signal: orNull(str, 'a string'), stderrTail: str, fatal: optional(str), reason: optional(str) },
  engineLiveness: { engine: id, responding: must((v) => typeof v === 'boolean', 'a boolean'), silentMs: num },
  agentError: { message: str },
  jobState: { scheduler: oneOf('slurm', 'pbs'), job: str, state: str, reason: str },
}

const RESULT_STATUS = ['ok', 'error', 'aborted'] as const

const FROM_ENGINE: Record<FromEngine['type'], Shape> = {
  registered: { pid: id, cwd: str, nodeVersion: str, heapLimitMB: optional(num) },
  result: {
    id,
    status: oneOf(...RESULT_STATUS),
    value: anything,
    error: optional(shape(wireError)),
    started: num,
    completed: num,
    cpuMs: optional(num),
    stdout: optional(str),
    stderr: optional(str),
    executeResult: optional(str),
  },
  stream: { id, name: oneOf('stdout', 'stderr'), text: str },
  directOpened: {},
}

/** A message the agent sent about itself (frames with engine AGENT). */
export function checkFromAgent(message: unknown): string | null {
  // Another version's hello may differ in anything but its version: the handshake says so.
  const m = message as { type?: unknown; version?: unknown } | null
  if (m?.type === 'hello' && Number.isInteger(m.version) && m.version !== PROTOCOL_VERSION) return null
  return union('a message from the agent', FROM_AGENT, message)
}

/** A message an engine sent (through the agent or over its direct channel). */
export function checkFromEngine(message: unknown): string | null {
  const problem = union('a message from an engine', FROM_ENGINE, message)
  if (problem) return problem
  const m = message as FromEngine
  // The controller rebuilds a RemoteError from it: an 'error' result without one says nothing.
  if (m.type === 'result' && m.status === 'error' && m.error === undefined) return 'result.error is missing for status error'
  return null
}

/** The first frame on a direct channel. The token's value is compared by the server. */
export function checkDirectHello(message: unknown): string | null {
  return union('a direct channel hello', { directHello: { engine: id, token: str } }, message)
}

export const isDirectHello = (message: unknown): message is DirectHelloMessage => checkDirectHello(message) === null

export const isWireError = (value: unknown): value is WireError => shape(wireError)(value) === null

// ---- agent, engine <- controller ----------------------------------------------------------

const TO_AGENT: Record<ToAgent['type'], Shape> = {
  hello: { version: int },
  spawn: {
    engines: arrayOf(id, 'engine ids'),
    cwd: optional(str),
    env: optional(recordOf(str, 'strings')),
    maxHeapMB: optional(id),
    notRespondingMs: optional(id),
  },
  signal: { engine: id, signal: oneOf('SIGINT', 'SIGTERM', 'SIGKILL') },
  ping: { seq: int },
  shutdown: {},
}

const names = (v: unknown): string | null => (typeof v === 'string' ? null : arrayOf(str, 'names')(v))

const TASK_OPS: Record<string, Shape> = {
  execute: { code: str },
  push: { ns: recordOf(anything, 'values') },
  pull: { names },
  apply: { fn: functionSource, args: arrayOf(anything, 'values') },
  map: { fn: functionSource, seqs: arrayOf(must((v) => Array.isArray(v) || ArrayBuffer.isView(v), 'an array or typed array'), 'sequences') },
  require: { modules: recordOf(str, 'module names') },
}

const TO_ENGINE: Record<ToEngine['type'], Shape> = {
  task: { id, op: oneOf(...Object.keys(TASK_OPS)) },
  abort: { ids: arrayOf(id, 'task ids') },
  directSwitch: {},
}

/** A message for the agent itself. */
export function checkToAgent(message: unknown): string | null {
  return union('a message for the agent', TO_AGENT, message)
}

/** A message for an engine; a task's operation is checked with it. */
export function checkToEngine(message: unknown): string | null {
  const problem = union('a message for the engine', TO_ENGINE, message)
  if (problem) return problem
  const m = message as ToEngine
  if (m.type !== 'task') return null
  const fields = TASK_OPS[m.op]
  for (const key in fields) {
    const fieldProblem = fields[key]((m as unknown as Record<string, unknown>)[key])
    if (fieldProblem) return at(`task.${key}`, fieldProblem)
  }
  return null
}
