/**
 * Placement: a large result's raw sections go straight into memory its task's placer chose, as
 * the bytes arrive, whatever the chunking; anything else is received as before.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { decodeFrame, encodeFrame } from '../../../src-main/core/protocol/codec'
import { PLACEMENT_MIN_BYTES, placeResult, unplaceResult, type RawPlacer } from '../../../src-main/core/protocol/placement'
import { FrameReader } from '../../../src-main/core/protocol/FrameReader'
import type { AnyMessage, ResultMessage } from '../../../src-main/core/protocol/messages'

const concat = (chunks: Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.byteLength, 0))
  let at = 0
  for (const c of chunks) {
    out.set(c, at)
    at += c.byteLength
  }
  return out
}
/** Same kind, same bytes (toEqual on a million elements takes seconds). */
const same = (a: ArrayBufferView, b: ArrayBufferView): boolean =>
  a.constructor === b.constructor && Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength))
const result = (id: number, value: unknown): ResultMessage => ({ type: 'result', id, status: 'ok', value, started: 1, completed: 2, stdout: '', stderr: '' })
/** Feeds `stream` in chunks of `size` bytes and returns the decoded messages. */
function read(stream: Uint8Array, size: number): Array<{ engine: number; message: AnyMessage }> {
  const got: Array<{ engine: number; message: AnyMessage }> = []
  const reader = new FrameReader({ onFrame: (frame) => got.push(decodeFrame<AnyMessage>(frame)) })
  for (let at = 0; at < stream.byteLength; at += size) reader.push(stream.subarray(at, at + size))
  expect(reader.idle).toBe(true)
  return got
}

const big = new Float64Array(PLACEMENT_MIN_BYTES / 8 + 3).map((_, i) => i * 1.5)
afterEach(() => {
  for (const id of [1, 2, 3]) unplaceResult(id)
})

describe('placement of large results', () => {
  it('writes the raw section into the placer’s memory, and decodes the typed array as a view onto it', () => {
    for (const chunk of [1000, 65536, 65537, 300_001]) {
      const dest = new ArrayBuffer(big.byteLength + 64)
      const calls: Array<{ engine: number; kind: string; byteLength: number }> = []
      const placer: RawPlacer = (engine, _message, sections) => {
        calls.push({ engine, kind: sections[0].kind.name, byteLength: sections[0].byteLength })
        return [new Uint8Array(dest, 16, sections[0].byteLength)]
      }
      placeResult(1, placer)
      const stream = concat([...encodeFrame(4, { type: 'ping', seq: 9 }), ...encodeFrame(3, result(1, big)), ...encodeFrame(4, { type: 'ping', seq: 10 })])
      const got = read(stream, chunk)
      expect(calls).toEqual([{ engine: 3, kind: 'Float64Array', byteLength: big.byteLength }])
      expect(got.map((g) => g.message.type)).toEqual(['ping', 'result', 'ping'])
      const value = (got[1].message as ResultMessage).value as Float64Array
      expect(value).toBeInstanceOf(Float64Array)
      expect(value.buffer).toBe(dest)
      expect(value.byteOffset).toBe(16)
      expect(same(value, big)).toBe(true)
      expect((got[2].message as { seq: number }).seq).toBe(10)
    }
  })

  it('places a result once: a second frame for the same task is received as usual', () => {
    const dest = new Uint8Array(big.byteLength)
    placeResult(1, (_e, _m, sections) => [dest.subarray(0, sections[0].byteLength)])
    const stream = concat([...encodeFrame(0, result(1, big)), ...encodeFrame(0, result(1, big))])
    const [first, second] = read(stream, 65536).map((g) => (g.message as ResultMessage).value as Float64Array)
    expect(first.buffer).toBe(dest.buffer)
    expect(second.buffer).not.toBe(dest.buffer)
    expect(same(second, big)).toBe(true)
  })

  it('receives as usual what the placer declines, what no placer wants, and small or non-result frames', () => {
    placeResult(1, () => null)
    placeResult(2, () => [new Uint8Array(8)]) // the wrong size is refused, never written past
    placeResult(3, () => {
      throw new Error('placer bug')
    })
    const small = new Int16Array(300).map((_, i) => i - 150)
    const messages: AnyMessage[] = [result(1, big), result(2, big), result(3, big), result(4, big), result(1, small), { type: 'task', id: 1, op: 'push', ns: { big } }]
    const got = read(concat(messages.flatMap((m) => encodeFrame(0, m))), 65536).map((g) => g.message)
    expect(got.map((m) => m.type)).toEqual(messages.map((m) => m.type))
    for (const m of got.slice(0, 4)) expect(same((m as ResultMessage).value as Float64Array, big)).toBe(true)
    expect((got[4] as ResultMessage).value).toEqual(small)
    expect(same((got[5] as unknown as { ns: { big: Float64Array } }).ns.big, big)).toBe(true)
  })

  it('never places a connected client’s result (task ids from 2^32): this process relays those whole', () => {
    const id = 2 ** 32 + 1
    let asked = false
    placeResult(id, (_e, _m, sections) => {
      asked = true
      return [new Uint8Array(sections[0].byteLength)]
    })
    try {
      const frames: Uint8Array[] = []
      const reader = new FrameReader({ onFrame: (frame) => frames.push(frame) })
      const stream = concat(encodeFrame(0, result(id, big)))
      for (let at = 0; at < stream.byteLength; at += 65536) reader.push(stream.subarray(at, at + 65536))
      expect(asked).toBe(false)
      expect(frames[0].byteLength).toBe(stream.byteLength)
      expect(Buffer.from(frames[0]).equals(Buffer.from(stream))).toBe(true)
    } finally {
      unplaceResult(id)
    }
  })

  it('places the results a reader is told it may (a connected client’s own), and only those', () => {
    const mine = 2 ** 33 + 1
    const other = 2 ** 32 + 1
    const dest = new Uint8Array(big.byteLength)
    let otherAsked = false
    placeResult(mine, (_e, _m, sections) => [dest.subarray(0, sections[0].byteLength)])
    placeResult(other, (_e, _m, sections) => {
      otherAsked = true
      return [new Uint8Array(sections[0].byteLength)]
    })
    try {
      const got: ResultMessage[] = []
      const reader = new FrameReader({ placeable: (id) => Math.floor(id / 2 ** 32) === 2, onFrame: (frame) => got.push(decodeFrame<ResultMessage>(frame).message) })
      const stream = concat([...encodeFrame(0, result(other, big)), ...encodeFrame(0, result(mine, big))])
      for (let at = 0; at < stream.byteLength; at += 65536) reader.push(stream.subarray(at, at + 65536))
      expect(otherAsked).toBe(false)
      const [first, second] = got.map((m) => m.value as Float64Array)
      expect(first.buffer).not.toBe(dest.buffer)
      expect(second.buffer).toBe(dest.buffer)
      expect(same(first, big) && same(second, big)).toBe(true)
    } finally {
      unplaceResult(mine)
      unplaceResult(other)
    }
  })

  it('keeps other values of a placed frame, several raw sections, and their kinds', () => {
    const ints = new Int32Array(PLACEMENT_MIN_BYTES / 4 + 1).map((_, i) => -i)
    const bytes = new Uint8Array(999).map((_, i) => i % 251)
    const dests: ArrayBuffer[] = []
    placeResult(2, (_e, _m, sections) =>
      sections.map((s) => {
        const d = new ArrayBuffer(s.byteLength)
        dests.push(d)
        return new Uint8Array(d)
      }),
    )
    const value = { ints, label: 'x', bytes, nested: [big] }
    const [got] = read(concat(encodeFrame(1, result(2, value))), 7777)
    const back = (got.message as ResultMessage).value as typeof value
    expect(Object.keys(back)).toEqual(['ints', 'label', 'bytes', 'nested'])
    expect(same(back.ints, ints) && same(back.bytes, bytes) && same(back.nested[0], big)).toBe(true)
    expect(back.label).toBe('x')
    // The 999 bytes are past the inline threshold (256), so three raw sections.
    expect(dests).toHaveLength(3)
    expect(back.ints.buffer).toBe(dests[0])
    expect(back.nested[0]).toBeInstanceOf(Float64Array)
  })
})
