/**
 * Resolving a view's targets the way `rc[...]` does in ipyparallel: an int (negatives count from
 * the end, `rc[-1]`), a list, or a slice `{start, stop, step}` over the current ids.
 */
import { InvalidTargetsError, NoEnginesError } from './errors'

/** A Python-style slice over the client's engine ids. */
export interface Slice {
  start?: number | null
  stop?: number | null
  step?: number | null
}

/** What a view can be made of: all engines, one id, a list of ids, or a slice. */
export type Targets = 'all' | number | number[] | Slice | undefined

const isSlice = (t: unknown): t is Slice =>
  typeof t === 'object' && t !== null && !Array.isArray(t) && Object.keys(t).every((k) => ['start', 'stop', 'step'].includes(k))

/** Resolves `targets` to engine ids, and says whether the view is one engine (bare results). */
export function resolveTargets(targets: Targets, ids: number[]): { ids: number[]; single: boolean } {
  if (ids.length === 0) {
    throw new NoEnginesError('no engines are running: start the cluster (or wait for engines to register) before making a view')
  }
  if (targets === undefined || targets === 'all' || targets === null) return { ids: [...ids], single: false }
  if (typeof targets === 'number') return { ids: [pick(targets, ids)], single: true }
  if (Array.isArray(targets)) {
    if (targets.length === 0) throw new InvalidTargetsError('the target list is empty; name at least one engine id')
    return { ids: targets.map((t) => pick(t, ids)), single: false }
  }
  if (isSlice(targets)) {
    const chosen = sliceIds(targets, ids)
    if (chosen.length === 0) throw new InvalidTargetsError(`the slice ${formatSlice(targets)} selects no engine of ${formatIds(ids)}`)
    return { ids: chosen, single: false }
  }
  throw new InvalidTargetsError(
    `cannot use ${JSON.stringify(targets)} as targets: use 'all', an engine id, a list of ids, or a slice like { start: 0, step: 2 }`,
  )
}

/** An engine by id; negative numbers index from the end like `rc[-1]`. */
function pick(t: unknown, ids: number[]): number {
  if (typeof t !== 'number' || !Number.isInteger(t)) {
    throw new InvalidTargetsError(`engine ids are integers; got ${JSON.stringify(t)}`)
  }
  if (t < 0) {
    const id = ids[ids.length + t]
    if (id === undefined) throw new InvalidTargetsError(`index ${t} is out of range for ${ids.length} engines`)
    return id
  }
  if (!ids.includes(t)) throw new InvalidTargetsError(`there is no engine ${t}; engines are ${formatIds(ids)}`)
  return t
}

/** Python slice semantics over a list (start/stop clamp, negatives from the end, any step but 0). */
export function sliceIds({ start, stop, step }: Slice, ids: number[]): number[] {
  const n = ids.length
  const s = step ?? 1
  if (!Number.isInteger(s) || s === 0) throw new InvalidTargetsError(`slice step must be a non-zero integer, got ${step}`)
  const norm = (v: number | null | undefined, dflt: number, lo: number, hi: number): number => {
    if (v === null || v === undefined) return dflt
    if (!Number.isInteger(v)) throw new InvalidTargetsError(`slice bounds must be integers, got ${v}`)
    const x = v < 0 ? v + n : v
    return Math.min(Math.max(x, lo), hi)
  }
  const out: number[] = []
  if (s > 0) {
    for (let i = norm(start, 0, 0, n), end = norm(stop, n, 0, n); i < end; i += s) out.push(ids[i])
  } else {
    for (let i = norm(start, n - 1, -1, n - 1), end = norm(stop, -1, -1, n - 1); i > end; i += s) out.push(ids[i])
  }
  return out
}

/** Parses the console's target syntax: `all`, `3`, `0,2,5`, `::2`, `1:`, `-1`. */
export function parseTargets(text: string): Targets {
  const t = text.trim()
  if (t === '' || t === 'all' || t === ':') return 'all'
  if (t.includes(':')) {
    const parts = t.split(':')
    if (parts.length > 3) throw new InvalidTargetsError(`'${text}' is not a slice; write start:stop:step, e.g. ::2`)
    const num = (p: string | undefined): number | null => {
      if (p === undefined || p.trim() === '') return null
      const v = Number(p)
      if (!Number.isInteger(v)) throw new InvalidTargetsError(`'${p}' in '${text}' is not an integer`)
      return v
    }
    return { start: num(parts[0]), stop: num(parts[1]), step: num(parts[2]) }
  }
  const list = t.split(',').map((p) => {
    const v = Number(p.trim())
    if (p.trim() === '' || !Number.isInteger(v)) throw new InvalidTargetsError(`'${p.trim()}' in '${text}' is not an engine id`)
    return v
  })
  return list.length === 1 && !t.includes(',') ? list[0] : list
}

const formatIds = (ids: number[]): string => (ids.length ? `[${ids.join(', ')}]` : 'none')
const formatSlice = (s: Slice): string => `${s.start ?? ''}:${s.stop ?? ''}${s.step != null ? `:${s.step}` : ''}`
