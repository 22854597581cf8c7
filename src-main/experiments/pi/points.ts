/**
 * The seeded kernel's points themselves, for pictures: the same xoshiro128** stream, seeded the
 * same way as `piChunk` (which inlines it all for speed and must stay self-contained to run on
 * engines); a unit test holds the two to the same hits.
 */

/** A sampled point: x, y, and 1 when it falls inside the quarter circle. */
export type Point = [number, number, 0 | 1]

/** The first `n` points of chunk `index`, exactly as `piChunk(seed, index, n)` draws them. */
export function seededPoints(seed: number, index: number, n: number): Point[] {
  const fmix = (h: number): number => {
    h = Math.imul(h ^ (h >>> 16), 0x85ebca6b)
    h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35)
    return h ^ (h >>> 16)
  }
  let sm = fmix(seed >>> 0) + Math.imul(index << 2, 0x9e3779b9)
  const next = (): number => {
    sm = (sm + 0x9e3779b9) | 0
    return fmix(sm)
  }
  let s0 = next()
  let s1 = next()
  let s2 = next()
  let s3 = next()
  const draw = (): number => {
    let r = Math.imul(s1, 5)
    r = Math.imul((r << 7) | (r >>> 25), 9)
    const t = s1 << 9
    s2 ^= s0
    s3 ^= s1
    s1 ^= s2
    s0 ^= s3
    s2 ^= t
    s3 = (s3 << 11) | (s3 >>> 21)
    return (r >>> 0) * 2.3283064365386963e-10
  }
  const points: Point[] = []
  for (let k = 0; k < n; k++) {
    const x = draw()
    const y = draw()
    points.push([x, y, x * x + y * y <= 1 ? 1 : 0])
  }
  return points
}


/**
 * The first `n` points of chunk `index`, exactly as `piChunkSimd(seed, index, n)` draws them:
 * sample k is lane k mod 16's point floor(k / 16), and lane l is seeded as chunk 16 * index + l.
 */
export function simdPoints(seed: number, index: number, n: number): Point[] {
  const lanes = 16
  const perLane = Array.from({ length: Math.min(lanes, n) }, (_, l) => seededPoints(seed, index * lanes + l, Math.ceil((n - l) / lanes)))
  return Array.from({ length: n }, (_, k) => perLane[k % lanes][Math.floor(k / lanes)])
}
