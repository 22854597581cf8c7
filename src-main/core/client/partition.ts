/**
 * ipyparallel's partitioning, exactly: block (`dist: 'b'`) gives the first `L mod N` parts one
 * extra item, contiguous; round-robin (`dist: 'r'`) deals items in turn. Typed arrays split into
 * typed arrays of the same kind (block parts are zero-copy views), and gather joins them again.
 */
import { UsageError } from './errors'

export type Sequence = ArrayLike<unknown> & Iterable<unknown>
type Typed = Exclude<ArrayBufferView, DataView> & { readonly length: number }

export const isTypedArray = (v: unknown): v is Typed => ArrayBuffer.isView(v) && !(v instanceof DataView)

/** Sizes of the block partition of `length` items into `parts`. */
export function blockSizes(length: number, parts: number): number[] {
  const base = Math.floor(length / parts)
  const extra = length % parts
  return Array.from({ length: parts }, (_, i) => base + (i < extra ? 1 : 0))
}

/** `[start, end)` bounds of each block part. */
export function blockBounds(length: number, parts: number): Array<[number, number]> {
  const bounds: Array<[number, number]> = []
  forEachBlock(length, parts, (start, end) => bounds.push([start, end]))
  return bounds
}

/**
 * Calls `each(start, end, i)` with the `[start, end)` bounds of each block part, in order (as
 * blockBounds, without an array per part: a map of 100,000 one-item tasks makes them all at once).
 */
export function forEachBlock(length: number, parts: number, each: (start: number, end: number, i: number) => void): void {
  const sizes = blockSizes(length, parts)
  let start = 0
  for (let i = 0; i < parts; i++) {
    const end = start + sizes[i]
    each(start, end, i)
    start = end
  }
}

/** Each sequence's part `[a, b)` (see sliceSeq), in order. */
export function sliceSeqs(seqs: readonly Sequence[], a: number, b: number): Array<unknown[] | Typed> {
  const parts = new Array<unknown[] | Typed>(seqs.length)
  for (let i = 0; i < seqs.length; i++) parts[i] = sliceSeq(seqs[i], a, b)
  return parts
}

/** Splits `seq` into `parts` parts, block or round-robin. */
export function partition<T = unknown>(seq: Sequence, parts: number, dist: 'b' | 'r' = 'b'): T[][] {
  if (!Number.isInteger(parts) || parts < 1) throw new UsageError(`cannot partition into ${parts} parts`)
  if (isTypedArray(seq)) return partitionTyped(seq, parts, dist) as unknown as T[][]
  const items = toArray(seq)
  if (dist === 'r') {
    const out: T[][] = Array.from({ length: parts }, () => [])
    items.forEach((item, i) => out[i % parts].push(item as T))
    return out
  }
  return blockBounds(items.length, parts).map(([a, b]) => items.slice(a, b) as T[])
}

function partitionTyped(seq: Typed, parts: number, dist: 'b' | 'r'): Typed[] {
  const Kind = seq.constructor as new (n: number) => Typed & { [i: number]: number | bigint }
  if (dist === 'b') return blockBounds(seq.length, parts).map(([a, b]) => (seq as unknown as { subarray(a: number, b: number): Typed }).subarray(a, b))
  const sizes = blockSizes(seq.length, parts)
  const out = sizes.map((n) => new Kind(n))
  const src = seq as unknown as { [i: number]: number | bigint; length: number }
  for (let i = 0; i < src.length; i++) out[i % parts][Math.floor(i / parts)] = src[i]
  return out
}

/** The inverse of scatter: concatenates lists into one list and typed arrays into one typed array. */
export function concatParts(parts: unknown[]): unknown[] | Typed {
  const nonEmpty = parts.filter((p) => !(isTypedArray(p) || Array.isArray(p)) || (p as ArrayLike<unknown>).length > 0)
  const first = nonEmpty[0] ?? parts[0]
  if (isTypedArray(first) && nonEmpty.every((p) => p?.constructor === first.constructor)) {
    const Kind = first.constructor as new (n: number) => Typed & { set(a: ArrayLike<number | bigint>, at: number): void }
    const total = nonEmpty.reduce<number>((n, p) => n + (p as Typed & { length: number }).length, 0)
    const out = new Kind(total)
    let at = 0
    for (const p of nonEmpty) {
      out.set(p as unknown as ArrayLike<number>, at)
      at += (p as Typed & { length: number }).length
    }
    return out
  }
  const out: unknown[] = []
  for (const p of parts) {
    if (Array.isArray(p) || isTypedArray(p)) for (const item of p as Iterable<unknown>) out.push(item)
    else out.push(p)
  }
  return out
}

/** Zips sequences to the shortest, as Python's `zip` and ipyparallel's map do. */
export function zipLength(seqs: Sequence[]): number {
  return seqs.length === 0 ? 0 : Math.min(...seqs.map((s) => s.length))
}

export function toArray(seq: Sequence): unknown[] {
  if (Array.isArray(seq)) return seq
  if (seq == null || typeof (seq as Iterable<unknown>)[Symbol.iterator] !== 'function') {
    throw new UsageError(`expected an array, a typed array or another iterable sequence, got ${describe(seq)}`)
  }
  return Array.from(seq)
}

/** Slices any sequence to `[a, b)`, keeping typed arrays typed (as views). */
export function sliceSeq(seq: Sequence, a: number, b: number): unknown[] | Typed {
  if (isTypedArray(seq)) return (seq as unknown as { subarray(a: number, b: number): Typed }).subarray(a, b)
  return toArray(seq).slice(a, b)
}

export function describe(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'an array'
  if (typeof value === 'object') return `an object (${(value as object).constructor?.name ?? 'Object'})`
  return `${typeof value} ${String(value).slice(0, 40)}`
}
