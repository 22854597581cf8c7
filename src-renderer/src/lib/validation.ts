/**
 * Inline checks for what a user types; each returns the message to show, or null when the value
 * is fine. They mirror the service's own checks so most mistakes never make a round trip.
 */

/** The most samples a run takes (2**53, where integers stop being exact). */
const MAX_SAFE = Number.MAX_SAFE_INTEGER
/** The most tasks a run takes (the service's limit). */
export const MAX_TASKS = 1_000_000
/** Decimal numbers, `1e8` included; not `0x10` or `0b1`, which Number() would also take. */
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i

export function positiveIntegerError(label: string, value: unknown): string | null {
  if (value === null || value === undefined || value === '') return `${label} is required`
  const n = typeof value === 'number' ? value : Number(String(value).trim())
  if (typeof value === 'string' && value.trim() === '') return `${label} is required`
  if (!Number.isFinite(n) || (typeof value === 'string' && !DECIMAL.test(value.trim()))) return `${label} must be a whole number, e.g. 1000000`
  if (!Number.isInteger(n)) return `${label} must be a whole number, not ${n}`
  if (n < 1) return `${label} must be at least 1`
  if (n > MAX_SAFE) return `${label} is too large`
  return null
}

export function tasksError(tasks: unknown, samples: unknown): string | null {
  const own = positiveIntegerError('Tasks', tasks)
  if (own) return own
  if (Number(tasks) > MAX_TASKS) return `Tasks can be at most ${MAX_TASKS.toLocaleString('en')}`
  if (positiveIntegerError('Samples', samples)) return null
  return Number(tasks) > Number(samples) ? `Tasks can't exceed samples (${Number(samples)}): each task needs a sample` : null
}

export function seedError(seed: unknown): string | null {
  const n = Number(seed)
  if (seed === null || seed === '' || !Number.isInteger(n) || n < 0 || n >= 2 ** 32) return 'Seed must be a whole number from 0 to 4294967295'
  return null
}

const INT = /^-?\d+$/
const SLICE_PART = /^\s*(-?\d+)?\s*$/

/**
 * The target syntax of the console and the π form: `all`, `3`, `-1`, `0,2`, `::2`, `1:`, `0:4:2`.
 * Given the live engine ids, it also says when the targets name no live engine (an id, or a
 * negative index counted from the end as Python does, or a slice, is taken from those ids).
 */
export function targetsError(text: string, liveIds?: number[]): string | null {
  const t = text.trim()
  if (t === '' || t === 'all') return null
  const live = liveIds ? ` (engines now: ${liveIds.length ? liveIds.join(', ') : 'none'})` : ''
  if (t.includes(':')) {
    const parts = t.split(':')
    if (parts.length > 3 || !parts.every((p) => SLICE_PART.test(p))) return `"${t}" is not a slice; write start:stop:step, e.g. ::2`
    const [start, stop, step] = parts.map((p) => (p.trim() === '' ? undefined : Number(p)))
    if (step === 0) return 'a slice step cannot be 0'
    if (liveIds && sliceOf(liveIds.length, start, stop, step ?? 1).length === 0) return `"${t}" selects no engine${live}`
    return null
  }
  const ids = t.split(',').map((p) => p.trim())
  const bad = ids.find((p) => !INT.test(p))
  if (bad !== undefined) return `"${bad || ','}" is not an engine id; use all, 3, 0,2 or ::2`
  if (!liveIds) return null
  const missing = ids.map(Number).find((id) => (id < 0 ? -id > liveIds.length : !liveIds.includes(id)))
  return missing === undefined ? null : `there is no engine ${missing}${live}`
}

/** The indices Python's `range(n)[start:stop:step]` selects. */
function sliceOf(n: number, start: number | undefined, stop: number | undefined, step: number): number[] {
  const clamp = (i: number, low: number, high: number): number => Math.min(Math.max(i < 0 ? i + n : i, low), high)
  const out: number[] = []
  if (step > 0) for (let i = start === undefined ? 0 : clamp(start, 0, n), end = stop === undefined ? n : clamp(stop, 0, n); i < end; i += step) out.push(i)
  else for (let i = start === undefined ? n - 1 : clamp(start, -1, n - 1), end = stop === undefined ? -1 : clamp(stop, -1, n - 1); i > end; i += step) out.push(i)
  return out
}
