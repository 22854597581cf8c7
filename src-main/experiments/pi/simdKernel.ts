/**
 * The `simd` π kernel: 16 interleaved xoshiro128** streams per chunk, drawn by WebAssembly SIMD
 * where the engine has it and by plain JavaScript, with bit-identical hits, where it has not.
 *
 * The algorithm (what both paths compute, exactly):
 * - Lanes: chunk `index` draws from `SIMD_LANES` = 16 streams. Lane `l` is seeded exactly as the
 *   `seeded` kernel seeds chunk `16 * index + l` (outputs of the splitmix32 stream that starts at
 *   fmix32(seed); see `piChunk`), so the lanes of all chunks are distinct streams for
 *   `index < 2**26`, and no state is all zero.
 * - Split: sample `k` of the chunk (0 ≤ k < n) is drawn by lane `k mod 16` as its
 *   `floor(k / 16)`-th point: every lane draws `floor(n / 16)` points and lanes `0 … (n mod 16) - 1`
 *   one more. Each lane draws its points exactly as `piChunk` does: two 32-bit outputs a, b.
 * - Point test: `a * a + b * b <= 2**64` in float64, a and b unsigned — `seeded`'s test
 *   `x * x + y * y <= 1` with x = a * 2**-32, because scaling by a power of two is exact. IEEE
 *   float64 multiply and add round the same in WebAssembly and in JavaScript (no fused
 *   multiply-add in either), so the paths agree bit for bit; 32-bit coordinates keep the bias
 *   of the lattice near 2**-32.
 * So the hits are a pure function of `(seed, index, n)`, and a run's of `(seed, samples, tasks)`
 * — a different function from `seeded`'s. With n = 16m, chunk i's hits are the sum of `seeded`'s
 * hits of chunks 16i … 16i + 15 with m samples each (a unit test holds it to that).
 *
 * The WebAssembly path (piSimd.wat, 8 lanes per call in two i32x4 vectors) draws the
 * `floor(n / 16)` full rounds and leaves the `n mod 16` points after them to JavaScript. It
 * decides almost every point by an integer test on the top 15 bits of a and b that is proven (in
 * piSimd.wat) to agree with the float64 test, and runs the float64 test itself on the rare
 * vectors near the circle, so its hits are the float64 test's; where
 * WebAssembly SIMD is missing, JavaScript draws each lane's points in turn. The module is compiled
 * once per engine and kept on `globalThis.__clusterdeskPiSimd` (`null` where WebAssembly SIMD is
 * missing, which also forces the JS path when set so, as the tests and bench/kernel.mjs do).
 *
 * Like every kernel it travels to the engines by source, so it is self-contained: the module's
 * bytes are the `WASM` literal below, written by scripts/build-pi-wasm.mjs from piSimd.wat.
 */

/** Streams per chunk of the `simd` kernel. */
export const SIMD_LANES = 16

/**
 * The part of the WebAssembly API the kernel uses: Node has it, but @types/node does not declare it
 * (the DOM lib does, which the library's declaration build does not load). Emits nothing.
 */
declare const WebAssembly: {
  validate(bytes: Uint8Array): boolean
  Module: new (bytes: Uint8Array) => object
  Instance: new (module: object) => { exports: unknown }
}

/** What an engine keeps once it has looked for WebAssembly SIMD: the module, or null for none. */
export interface PiSimdModule {
  /** Hits of 8 lanes whose states sit at byte `base` over `rounds` rounds; advances them. */
  hits(base: number, rounds: number): number
  /** The module's memory as int32: lane l's word w (s0 … s3) at `32 * (l >> 3) + 8 * w + (l & 7)`. */
  state: Int32Array
}

/** Hits among `n` points of chunk `index` of a run seeded with `seed`; see the module comment. */
export function piChunkSimd(seed: number, index: number, n: number): number {
  const WASM =
    'AGFzbQEAAAABBwFgAn9/AXwDAgEABQMBAAEHEQIGbWVtb3J5AgAEaGl0cwAACtULAdILARB7IAD9AAQAIQIgAP0ABBAhBiAA/QAEICEDIAD9AAQwIQcgAP0ABEAhBCAA/QAEUCEIIAD9AARgIQUgAP0ABHAhCQJAA0AgAUUNASADQQD9AASAAv21ASELIAtBB/2rASALQRn9rQH9UEEA/QAEkAL9tQEhDCADQQn9qwEhDiAEIAL9USEEIAUgA/1RIQUgAyAE/VEhAyACIAX9USECIAQgDv1RIQQgBUEL/asBIAVBFf2tAf1QIQUgA0EA/QAEgAL9tQEhCyALQQf9qwEgC0EZ/a0B/VBBAP0ABJAC/bUBIQ0gA0EJ/asBIQ4gBCAC/VEhBCAFIAP9USEFIAMgBP1RIQMgAiAF/VEhAiAEIA79USEEIAVBC/2rASAFQRX9rQH9UCEFIAxBEf2tASANQQH9rQH9DQABEhMEBRYXCAkaGwwNHh8iDyAP/boBIRBBAP0ABKACIBD9OyERIAogEf2xASEKIBFBAP0ABLACIBD9O/1R/VMEQCAM/QwAADBDAAAwQwAAMEMAADBD/Q0AAQIDEBESEwQFBgcUFRYX/QwAAAAAAAAwQwAAAAAAADBD/fEBIQsgDf0MAAAwQwAAMEMAADBDAAAwQ/0NAAECAxAREhMEBQYHFBUWF/0MAAAAAAAAMEMAAAAAAAAwQ/3xASEOIAsgC/3yASAOIA798gH98AH9DAAAAAAAAPBDAAAAAAAA8EP9SyEPIAz9DAAAMEMAADBDAAAwQwAAMEP9DQgJCgsYGRobDA0ODxwdHh/9DAAAAAAAADBDAAAAAAAAMEP98QEhCyAN/QwAADBDAAAwQwAAMEMAADBD/Q0ICQoLGBkaGwwNDg8cHR4f/QwAAAAAAAAwQwAAAAAAADBD/fEBIQ4gCyAL/fIBIA4gDv3yAf3wAf0MAAAAAAAA8EMAAAAAAADwQ/1LIQ4gCiAR/a4BIA8gDv0NAAECAwgJCgsQERITGBkaG/2xASEKCyAHQQD9AASAAv21ASELIAtBB/2rASALQRn9rQH9UEEA/QAEkAL9tQEhDCAHQQn9qwEhDiAIIAb9USEIIAkgB/1RIQkgByAI/VEhByAGIAn9USEGIAggDv1RIQggCUEL/asBIAlBFf2tAf1QIQkgB0EA/QAEgAL9tQEhCyALQQf9qwEgC0EZ/a0B/VBBAP0ABJAC/bUBIQ0gB0EJ/asBIQ4gCCAG/VEhCCAJIAf9USEJIAcgCP1RIQcgBiAJ/VEhBiAIIA79USEIIAlBC/2rASAJQRX9rQH9UCEJIAxBEf2tASANQQH9rQH9DQABEhMEBRYXCAkaGwwNHh8iDyAP/boBIRBBAP0ABKACIBD9OyERIAogEf2xASEKIBFBAP0ABLACIBD9O/1R/VMEQCAM/QwAADBDAAAwQwAAMEMAADBD/Q0AAQIDEBESEwQFBgcUFRYX/QwAAAAAAAAwQwAAAAAAADBD/fEBIQsgDf0MAAAwQwAAMEMAADBDAAAwQ/0NAAECAxAREhMEBQYHFBUWF/0MAAAAAAAAMEMAAAAAAAAwQ/3xASEOIAsgC/3yASAOIA798gH98AH9DAAAAAAAAPBDAAAAAAAA8EP9SyEPIAz9DAAAMEMAADBDAAAwQwAAMEP9DQgJCgsYGRobDA0ODxwdHh/9DAAAAAAAADBDAAAAAAAAMEP98QEhCyAN/QwAADBDAAAwQwAAMEMAADBD/Q0ICQoLGBkaGwwNDg8cHR4f/QwAAAAAAAAwQwAAAAAAADBD/fEBIQ4gCyAL/fIBIA4gDv3yAf3wAf0MAAAAAAAA8EMAAAAAAADwQ/1LIQ4gCiAR/a4BIA8gDv0NAAECAwgJCgsQERITGBkaG/2xASEKCyABQQFrIQEMAAsLIAAgAv0LBAAgACAG/QsEECAAIAP9CwQgIAAgB/0LBDAgACAE/QsEQCAAIAj9CwRQIAAgBf0LBGAgACAJ/QsEcCAK/RsAIAr9GwFqIAr9GwIgCv0bA2pquAsLRwEAQYACC0AFAAAABQAAAAUAAAAFAAAACQAAAAkAAAAJAAAACQAAAAAA/j8AAP4/AAD+PwAA/j8BAABAAQAAQAEAAEABAABA'
  const LANES = 16
  // Rounds per call into WebAssembly: V8 first runs a module in its baseline compiler and
  // swaps in the optimised code between calls (there is no on-stack replacement in wasm), so
  // one huge call would run unoptimised throughout. 4096 rounds are 65,536 points, ~0.1 ms.
  const BLOCK = 4096
  const g = globalThis as unknown as { __clusterdeskPiSimd?: PiSimdModule | null }
  let wasm = g.__clusterdeskPiSimd
  if (wasm === undefined) {
    wasm = null
    try {
      // Decoded here rather than by atob or Buffer, which a bare context (vm, a worker) may lack.
      const digits = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'
      const text = WASM.replace(/=+$/, '')
      const bytes = new Uint8Array((text.length * 3) >> 2)
      for (let i = 0, bits = 0, acc = 0, at = 0; i < text.length; i++) {
        acc = ((acc << 6) | digits.indexOf(text[i])) & 0xffffff
        bits += 6
        if (bits >= 8) {
          bits -= 8
          bytes[at++] = acc >> bits
        }
      }
      if (typeof WebAssembly === 'object' && WebAssembly.validate(bytes)) {
        const exports = new WebAssembly.Instance(new WebAssembly.Module(bytes)).exports as { hits: PiSimdModule['hits']; memory: { buffer: ArrayBuffer } }
        wasm = { hits: exports.hits, state: new Int32Array(exports.memory.buffer, 0, 4 * LANES) }
      }
    } catch {
      wasm = null // no usable WebAssembly (absent, SIMD not supported, or refused): the JS path
    }
    g.__clusterdeskPiSimd = wasm
  }

  // Lane l's xoshiro128** state, laid out as the module reads it (see PiSimdModule.state).
  const state = wasm ? wasm.state : new Int32Array(4 * LANES)
  let start = seed >>> 0
  start = Math.imul(start ^ (start >>> 16), 0x85ebca6b)
  start = Math.imul(start ^ (start >>> 13), 0xc2b2ae35)
  start = start ^ (start >>> 16)
  for (let l = 0; l < LANES; l++) {
    let sm = start + Math.imul((index * LANES + l) << 2, 0x9e3779b9)
    for (let w = 0; w < 4; w++) {
      sm = (sm + 0x9e3779b9) | 0
      let z = Math.imul(sm ^ (sm >>> 16), 0x85ebca6b)
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35)
      state[32 * (l >> 3) + 8 * w + (l & 7)] = z ^ (z >>> 16)
    }
  }

  // The WebAssembly path draws the full rounds; then lane l draws what is left of its points, as
  // piChunk draws them: all of them on the JS path, the one extra point of lanes < n mod 16 after
  // WebAssembly. (One loop, no inner function: bundlers may wrap a named inner function in a
  // helper, __name, that the engines do not have.)
  const rounds = Math.floor(n / LANES)
  const extra = n - rounds * LANES
  let hits = 0
  if (wasm) {
    for (let group = 0; group < LANES / 8; group++) {
      for (let done = 0; done < rounds; done += BLOCK) hits += wasm.hits(128 * group, Math.min(BLOCK, rounds - done))
    }
  }
  for (let l = 0; l < LANES; l++) {
    const count = (wasm ? 0 : rounds) + (l < extra ? 1 : 0)
    const at = 32 * (l >> 3) + (l & 7)
    let s0 = state[at]
    let s1 = state[at + 8]
    let s2 = state[at + 16]
    let s3 = state[at + 24]
    let a = 0
    let b = 0
    let t = 0
    for (let k = 0; k < count; k++) {
      a = Math.imul(s1, 5)
      a = Math.imul((a << 7) | (a >>> 25), 9) >>> 0
      t = s1 << 9
      s2 ^= s0
      s3 ^= s1
      s1 ^= s2
      s0 ^= s3
      s2 ^= t
      s3 = (s3 << 11) | (s3 >>> 21)
      b = Math.imul(s1, 5)
      b = Math.imul((b << 7) | (b >>> 25), 9) >>> 0
      t = s1 << 9
      s2 ^= s0
      s3 ^= s1
      s1 ^= s2
      s0 ^= s3
      s2 ^= t
      s3 = (s3 << 11) | (s3 >>> 21)
      hits += ((a * a + b * b <= 18446744073709551616) as unknown as number) | 0
    }
  }
  return hits
}
