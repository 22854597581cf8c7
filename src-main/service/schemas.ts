/**
 * The schemas of every service call's arguments. Both adapters (Electron IPC, WebSocket) and the
 * service itself check calls with them, so a malformed payload from a renderer never reaches the
 * cluster, and the error says which argument was wrong and what it should be.
 */
import { z } from 'zod'
import { MAX_TASKS, PI_MODES } from '../experiments/pi/options'
import { PI_KERNELS } from '../experiments/pi/kernels'
import type { ClusterServiceApi, ServiceMethod } from './api'

/** A call the service cannot take: bad method name, argument count or argument value. */
export class ServiceInputError extends Error {
  override name = 'ServiceInputError'
}

// Paths and names travel into process arguments (and, for SSH, remote shells): no control characters.
const NO_CONTROL = /^[^\u0000-\u001f\u007f]*$/

const id = z.string({ error: 'must be an id (a string)' }).min(1, { error: 'must not be empty' }).max(64, { error: 'is too long for an id' })
const path = (what: string) =>
  z.string({ error: `must be ${what} (a string)` }).max(4096, { error: `is too long for ${what}` }).regex(NO_CONTROL, { error: `${what} must not contain control characters` })
const engineId = z.number({ error: 'must be an engine id (a number)' }).int({ error: 'must be a whole number' }).min(0, { error: 'engine ids start at 0' })
const targets = z.string({ error: "must be targets in console syntax ('all', '3', '0,2', '::2')" }).max(200, { error: 'is too long for targets' })

const nodeFields = z.strictObject({
  name: z.string({ error: 'must be a name (a string)' }).trim().min(1, { error: 'must not be empty' }).max(80, { error: 'must be at most 80 characters' }).regex(NO_CONTROL, { error: 'must not contain control characters' }),
  kind: z.enum(['local', 'ssh', 'slurm', 'pbs'], { error: "must be 'local', 'ssh', 'slurm' or 'pbs'" }),
  engines: z
    .number({ error: 'must be a number of engines, or null for one per core' })
    .int({ error: 'must be a whole number' })
    .min(1, { error: 'must be at least 1 (or null for one per core)' })
    .max(1024, { error: 'must be at most 1024' })
    .nullable(),
  nodePath: path('a Node.js path').optional(),
  cwd: path('a working directory').optional(),
  ssh: z
    .strictObject({
      host: z.string({ error: 'must be a host name' }).trim().min(1, { error: 'must name the SSH host' }).max(255).regex(/^[^\s\u0000-\u001f]+$/, { error: 'must be a host name without spaces' }),
      port: z.number({ error: 'must be a port number' }).int({ error: 'must be a whole number' }).min(1, { error: 'must be 1-65535' }).max(65535, { error: 'must be 1-65535' }).optional(),
      user: z.string().max(64).regex(/^[^\s\u0000-\u001f]*$/, { error: 'must be a user name without spaces' }).optional(),
      identityFile: path('a key file path').optional(),
      useAgent: z.boolean({ error: 'must be true or false' }).optional(),
    })
    .optional(),
  batch: z
    .strictObject({
      queue: z.string({ error: 'must be the partition or queue name' }).trim().min(1, { error: 'must name the partition or queue' }).max(200).regex(NO_CONTROL, { error: 'must not contain control characters' }),
      time: z.string({ error: "must be a time limit like '01:00:00'" }).trim().min(1, { error: "must be a time limit like '01:00:00'" }).max(40).regex(NO_CONTROL),
      nodes: z.number({ error: 'must be a number of nodes' }).int({ error: 'must be a whole number' }).min(1, { error: 'must be at least 1' }).max(100000).optional(),
      account: z.string().max(200).regex(NO_CONTROL, { error: 'must not contain control characters' }).optional(),
      setup: z.array(z.string().max(4096).regex(NO_CONTROL, { error: 'a setup line must be one line' })).max(100).optional(),
      extraArgs: z.array(z.string().max(4096).regex(NO_CONTROL, { error: 'must not contain control characters' })).max(100).optional(),
    })
    .optional(),
})
const sshHasSettings = (n: { kind: string; ssh?: unknown; batch?: unknown }): boolean =>
  (n.kind !== 'ssh' || n.ssh !== undefined) && ((n.kind !== 'slurm' && n.kind !== 'pbs') || n.batch !== undefined)
const sshMessage = { error: 'an SSH node needs ssh settings with at least a host; a Slurm or PBS node needs batch settings (queue, time)', path: ['ssh'] }

// A form may send back the whole NodeRecord it was filled from: its bookkeeping fields are ignored.
const recordFields = { id: id.optional(), createdAt: z.number().optional(), updatedAt: z.number().optional() }

/** A node to test (a NodeInput; a record's id and times are dropped). */
export const nodeInputSchema = nodeFields
  .extend(recordFields)
  .refine(sshHasSettings, sshMessage)
  .transform(({ id: _id, createdAt: _c, updatedAt: _u, ...input }) => input)
/** A node to save: with the id of the node to update, or without to add one. */
export const savedNodeSchema = nodeFields
  .extend(recordFields)
  .refine(sshHasSettings, sshMessage)
  .transform(({ createdAt: _c, updatedAt: _u, ...input }) => input)

const piFields = {
  samples: z
    .number({ error: 'must be a number of samples' })
    .int({ error: 'must be a whole number (e.g. 1e8)' })
    .min(1, { error: 'must be at least 1' })
    .max(Number.MAX_SAFE_INTEGER, { error: 'is too large' }),
  tasks: z.number({ error: 'must be a number of tasks' }).int({ error: 'must be a whole number (e.g. 16)' }).min(1, { error: 'must be at least 1' }).max(MAX_TASKS, { error: `must be at most ${MAX_TASKS}` }),
  kernel: z.enum(PI_KERNELS, { error: `must be one of ${PI_KERNELS.join(', ')}` }),
  seed: z.number({ error: 'must be a number' }).int({ error: 'must be a whole number' }).min(0, { error: 'must be ≥ 0' }).max(2 ** 32 - 1, { error: 'must be < 2^32' }),
  targets,
}
const tasksFitSamples = (r: { samples: number; tasks: number }): boolean => r.tasks <= r.samples
const tasksFitMessage = { error: 'must be at most the number of samples (each task needs at least one sample)', path: ['tasks'] }

export const piRunRequestSchema = z.strictObject({ ...piFields, mode: z.enum(PI_MODES, { error: `must be one of ${PI_MODES.join(', ')}` }) }).refine(tasksFitSamples, tasksFitMessage)
export const piGroupRequestSchema = z.strictObject(piFields).refine(tasksFitSamples, tasksFitMessage)

/** An optional argument: JSON has no `undefined`, so a `null` from the wire means "left out". */
const optional = <T extends z.ZodType>(schema: T) => schema.nullish().transform((v) => v ?? undefined)

/** An identity file's passphrase for one call (never stored). */
const passphrase = optional(z.string({ error: 'must be a passphrase (a string)' }).max(1024, { error: 'is too long for a passphrase' })).optional()
/** A host key fingerprint as OpenSSH prints it. */
const hostKeyFingerprint = z.string({ error: 'must be a host key fingerprint (a string)' }).regex(/^SHA256:[A-Za-z0-9+/]{43}$/, { error: "must be a SHA256 fingerprint like 'SHA256:…' (43 base64 characters)" })

/** Each method's arguments as a tuple (named for error messages). */
const methods = {
  snapshot: { args: z.tuple([]), names: [] },
  saveNode: { args: z.tuple([savedNodeSchema]), names: ['node'] },
  deleteNode: { args: z.tuple([id]), names: ['id'] },
  testNode: { args: z.tuple([nodeInputSchema, passphrase]), names: ['node', 'passphrase'] },
  startNode: { args: z.tuple([optional(id).optional(), passphrase]), names: ['id', 'passphrase'] },
  reconnectNode: { args: z.tuple([id, passphrase]), names: ['id', 'passphrase'] },
  trustHostKey: { args: z.tuple([z.union([id, nodeInputSchema], { error: 'must be a node id or a node' }), hostKeyFingerprint]), names: ['node', 'fingerprint'] },
  stopNode: { args: z.tuple([optional(id).optional()]), names: ['id'] },
  stopEngine: { args: z.tuple([engineId]), names: ['engineId'] },
  restartEngine: { args: z.tuple([engineId]), names: ['engineId'] },
  interrupt: { args: z.tuple([optional(z.array(engineId, { error: 'must be a list of engine ids' }).max(4096)).optional()]), names: ['engineIds'] },
  runPi: { args: z.tuple([piRunRequestSchema]), names: ['request'] },
  runAllModes: { args: z.tuple([piGroupRequestSchema]), names: ['request'] },
  cancelRun: { args: z.tuple([id]), names: ['runId'] },
  getRun: { args: z.tuple([id]), names: ['runId'] },
  deleteRun: { args: z.tuple([id]), names: ['runId'] },
  execute: {
    args: z.tuple([
      z.string({ error: 'must be code (a string)' }).max(1_000_000, { error: 'must be at most 1,000,000 characters' }).refine((c) => c.trim() !== '', { error: 'is empty: type some code to run' }),
      targets,
    ]),
    names: ['code', 'targets'],
  },
  clearErrors: { args: z.tuple([]), names: [] },
  listProfiles: { args: z.tuple([]), names: [] },
  attach: {
    args: z.tuple([z.string({ error: 'must be a profile name (a string)' }).regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, { error: "must be a profile name: letters, digits, '.', '_' or '-' (at most 64)" })]),
    names: ['profile'],
  },
  detach: { args: z.tuple([]), names: [] },
} satisfies Record<ServiceMethod, { args: z.ZodTuple; names: string[] }>

// Fails to compile, naming the method, when a schema's output drifts from the API's parameters.
type Mismatched = { [M in ServiceMethod]: z.output<(typeof methods)[M]['args']> extends CallArgs<M> ? never : M }[ServiceMethod]
const schemasFitApi: [Mismatched] extends [never] ? true : Mismatched = true
void schemasFitApi

/** Every method of the service API, as a runtime list. */
export const SERVICE_METHODS = Object.keys(methods) as ServiceMethod[]

export type CallArgs<M extends ServiceMethod> = Parameters<ClusterServiceApi[M]>

export function isServiceMethod(method: unknown): method is ServiceMethod {
  return typeof method === 'string' && Object.hasOwn(methods, method)
}

/** Checks one method's arguments; returns them parsed (trimmed names, defaults) or throws ServiceInputError. */
export function parseArgs<M extends ServiceMethod>(method: M, args: unknown): CallArgs<M> {
  if (!Array.isArray(args)) throw new ServiceInputError(`${method}: arguments must be a list, got ${describeValue(args)}`)
  const { names } = methods[method]
  const schema = methods[method].args as z.ZodTuple
  const items = schema.def.items as z.ZodType[]
  if (args.length > items.length) throw new ServiceInputError(`${method} takes ${items.length === 0 ? 'no arguments' : `at most ${items.length} argument${items.length === 1 ? '' : 's'} (${names.join(', ')})`}, got ${args.length}`)
  const parsed = schema.safeParse(args)
  if (!parsed.success) {
    const missing = names.filter((_, i) => i >= args.length && !items[i].safeParse(undefined).success)
    if (missing.length) throw new ServiceInputError(`${method}: missing argument${missing.length > 1 ? 's' : ''} ${missing.join(', ')}`)
  }
  if (!parsed.success) throw new ServiceInputError(`${method}: ${formatIssues(parsed.error.issues, names)}`)
  return parsed.data as CallArgs<M>
}

/** Checks a call from an adapter: a known method name and valid arguments. */
export function parseCall(method: unknown, args: unknown): { method: ServiceMethod; args: unknown[] } {
  if (!isServiceMethod(method)) {
    throw new ServiceInputError(`unknown method ${describeValue(method)}; the service has ${SERVICE_METHODS.join(', ')}`)
  }
  return { method, args: parseArgs(method, args) as unknown[] }
}

function formatIssues(issues: z.core.$ZodIssue[], names: string[]): string {
  return issues
    .slice(0, 5)
    .map((issue) => {
      const [first, ...rest] = issue.path
      const arg = typeof first === 'number' ? (names[first] ?? `argument ${first + 1}`) : 'arguments'
      const where = [arg, ...rest.map(String)].join('.')
      if (issue.code === 'unrecognized_keys') return `${where} has unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.join(', ')}`
      return `${where} ${issue.message}`
    })
    .join('; ')
}

function describeValue(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)
  if (v === null) return 'null'
  if (Array.isArray(v)) return 'a list'
  return typeof v === 'object' ? 'an object' : String(v)
}
