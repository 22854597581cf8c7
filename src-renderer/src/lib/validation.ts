/**
 * Inline checks for what a user types; each returns the message to show, or null when the value
 * is fine. They mirror the service's own checks so most mistakes never make a round trip.
 */

/** The most samples a run takes (2**53, where integers stop being exact). */
const MAX_SAFE = Number.MAX_SAFE_INTEGER

export function positiveIntegerError(label: string, value: unknown): string | null {
  if (value === null || value === undefined || value === '') return `${label} is required`
  const n = typeof value === 'number' ? value : Number(String(value).trim())
  if (typeof value === 'string' && value.trim() === '') return `${label} is required`
  if (!Number.isFinite(n)) return `${label} must be a whole number, e.g. 1000000`
  if (!Number.isInteger(n)) return `${label} must be a whole number, not ${n}`
  if (n < 1) return `${label} must be at least 1`
  if (n > MAX_SAFE) return `${label} is too large`
  return null
}

export function tasksError(tasks: unknown, samples: unknown): string | null {
  const own = positiveIntegerError('Tasks', tasks)
  if (own) return own
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

/** The console's target syntax: `all`, `3`, `-1`, `0,2`, `::2`, `1:`, `0:4:2`. */
export function targetsError(text: string): string | null {
  const t = text.trim()
  if (t === '' || t === 'all') return null
  if (t.includes(':')) {
    const parts = t.split(':')
    if (parts.length > 3 || !parts.every((p) => SLICE_PART.test(p))) return `"${t}" is not a slice; write start:stop:step, e.g. ::2`
    if (parts[2] !== undefined && Number(parts[2]) === 0 && parts[2].trim() !== '') return 'a slice step cannot be 0'
    return null
  }
  const bad = t.split(',').find((p) => !INT.test(p.trim()))
  return bad === undefined ? null : `"${bad.trim() || ','}" is not an engine id; use all, 3, 0,2 or ::2`
}
