import { describe, expect, it } from 'vitest'
import {
  decodeFrame,
  encodeFrame,
  frameEngine,
  frameSize,
  RemoteFunction,
  SerializationError,
  setTrailingFloat64,
  toRemoteFunction,
} from '../../../src-main/core/protocol/codec'
import { FrameReader } from '../../../src-main/core/protocol/FrameReader'
import { AGENT, type AnyMessage } from '../../../src-main/core/protocol/messages'

/** One contiguous, 8-byte aligned frame, as FrameReader hands it over. */
function concat(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.byteLength, 0))
  let at = 0
  for (const chunk of chunks) {
    out.set(chunk, at)
    at += chunk.byteLength
  }
  return out
}

/** A decoded push task, typed by its namespace. */
type Pushed<T> = { ns: T }

function roundTrip(value: unknown, engine = 3): unknown {
  const frame = concat(encodeFrame(engine, { type: 'task', id: 1, op: 'push', ns: { value } }, 'send'))
  const { engine: decodedEngine, message } = decodeFrame<Pushed<{ value: unknown }>>(frame)
  expect(decodedEngine).toBe(engine)
  return message.ns.value
}

const KINDS = [
  Int8Array, Uint8Array, Uint8ClampedArray, Int16Array, Uint16Array, Int32Array, Uint32Array,
  Float32Array, Float64Array, BigInt64Array, BigUint64Array,
] as const

function sample(Kind: (typeof KINDS)[number], length: number): ArrayBufferView & ArrayLike<unknown> {
  const array = new Kind(length)
  for (let i = 0; i < length; i++) {
    const v = (i * 37) % 120
    ;(array as unknown as unknown[])[i] = Kind === BigInt64Array || Kind === BigUint64Array ? BigInt(v) : Kind === Float64Array || Kind === Float32Array ? v + 0.5 : v
  }
  return array
}

describe('codec', () => {
  it('round-trips nested plain values', () => {
    const value = {
      text: 'héllo ✓ 𝄞',
      numbers: [0, -1, 2 ** 31, -(2 ** 40), 1.5, Number.MAX_VALUE, Infinity, -Infinity],
      flags: [true, false, null],
      nested: { deeper: { list: [[1, [2, [3]]], { a: 'b' }] } },
      big: 12345678901234567890n,
      when: new Date(1700000000123),
      set: new Set([1, 'two']),
      empty: [{}, [], ''],
    }
    expect(roundTrip(value)).toEqual(value)
    expect(Number.isNaN(roundTrip(NaN))).toBe(true)
  })

  it('puts the engine id in the header and the size in the first four bytes', () => {
    for (const engine of [0, 7, 123456, AGENT]) {
      const chunks = encodeFrame(engine, { type: 'ping', seq: 1 })
      const frame = concat(chunks)
      expect(frameEngine(frame)).toBe(engine)
      expect(frameSize(frame)).toBe(frame.byteLength)
      expect(decodeFrame(frame)).toEqual({ engine, message: { type: 'ping', seq: 1 } })
    }
  })

  it.each(KINDS.map((Kind) => [Kind.name, Kind] as const))('decodes small (inline) %s from a Buffer inside a larger chunk, as sockets deliver them', (_name, Kind) => {
    const original = sample(Kind, 5)
    const frame = concat(encodeFrame(2, { type: 'task', id: 1, op: 'push', ns: { value: original } }, 'send'))
    // A socket chunk: a Buffer (whose slice() is a view, not a copy) at an offset into a bigger one.
    const chunk = Buffer.alloc(frame.byteLength + 64, 0xee)
    chunk.set(frame, 32)
    const decoded = decodeFrame<Pushed<{ value: ArrayLike<unknown> }>>(chunk.subarray(32, 32 + frame.byteLength)).message.ns.value
    expect(decoded).toBeInstanceOf(Kind)
    expect(Array.from(decoded)).toEqual(Array.from(original))
  })

  it.each(KINDS.map((Kind) => [Kind.name, Kind] as const))('round-trips %s inline and as raw bytes', (_name, Kind) => {
    for (const length of [0, 3, 40, 5000]) {
      const original = sample(Kind, length)
      const decoded = roundTrip(original) as typeof original
      expect(decoded).toBeInstanceOf(Kind)
      expect(decoded).toEqual(original)
    }
  })

  it('sends large typed arrays as raw sections, decoded as views onto the frame without copying', () => {
    const original = sample(Float64Array, 1000)
    const chunks = encodeFrame(0, { type: 'task', id: 1, op: 'push', ns: { a: original } })
    // The array's own memory is one of the chunks: no copy on the sending side.
    expect(chunks.some((c) => c.buffer === original.buffer && c.byteLength === original.byteLength)).toBe(true)
    const frame = concat(chunks)
    const decoded = decodeFrame<Pushed<{ a: Float64Array }>>(frame).message.ns.a
    expect(decoded.buffer).toBe(frame.buffer)
    expect(decoded).toEqual(original)
  })

  it('keeps offsets of typed-array views and several raw arrays in one frame', () => {
    const backing = sample(Float64Array, 600) as Float64Array
    const values = { view: backing.subarray(3, 503), bytes: new Uint8Array(777).fill(9), ints: sample(Int16Array, 301), buf: Buffer.alloc(300, 2) }
    const decoded = roundTrip(values) as typeof values
    expect(decoded.view).toEqual(backing.subarray(3, 503))
    expect(decoded.bytes).toEqual(values.bytes)
    expect(decoded.ints).toEqual(values.ints)
    expect(decoded.buf).toBeInstanceOf(Uint8Array)
    expect(Array.from(decoded.buf)).toEqual(Array.from(values.buf))
  })

  it('sends functions by source with the send policy, re-created by a reviver', () => {
    function triple(x: number): number {
      return 3 * x
    }
    const frame = concat(encodeFrame(0, { type: 'task', id: 1, op: 'push', ns: { f: triple } }, 'send'))
    const plain = decodeFrame<Pushed<{ f: RemoteFunction }>>(frame).message.ns.f
    expect(plain).toBeInstanceOf(RemoteFunction)
    expect(plain.name).toBe('triple')
    expect(plain.source).toBe(triple.toString())
    const revived = decodeFrame<Pushed<{ f: unknown }>>(frame, (fn) => `revived ${fn.name}`).message
    expect(revived.ns.f).toBe('revived triple')
  })

  it('refuses values that cannot be sent with a SerializationError that says why', () => {
    const result = (value: unknown): AnyMessage => ({ type: 'result', id: 1, status: 'ok', value, started: 0, completed: 0, stdout: '', stderr: '' })
    expect(() => encodeFrame(0, result({ f: () => 1 }), 'reject')).toThrow(SerializationError)
    expect(() => encodeFrame(0, result({ f: () => 1 }), 'reject')).toThrow(/function .*cannot be sent back.*return data instead/)
    expect(() => encodeFrame(0, result([Symbol('s')]))).toThrow(/symbol cannot be sent/)
    const cycle: Record<string, unknown> = {}
    cycle.self = cycle
    expect(() => encodeFrame(0, result(cycle))).toThrow(/contains a cycle/)
    // The codec is still usable after a failure part-way through a value.
    expect(roundTrip({ fine: [1, 2, 3] })).toEqual({ fine: [1, 2, 3] })
  })

  it('refuses a native function, which has no source to send', () => {
    expect(() => toRemoteFunction(Math.sqrt)).toThrow(SerializationError)
    expect(() => toRemoteFunction(Math.sqrt)).toThrow(/sqrt is a native \(built-in\) function/)
    expect(() => toRemoteFunction(function f() {}.bind({}))).toThrow(/bound f is a bound function \(made by \.bind\)/)
    expect(() => encodeFrame(0, { type: 'task', id: 1, op: 'push', ns: { max: Math.max } }, 'send')).toThrow(SerializationError)
    expect(toRemoteFunction((x: number) => x + 1)).toEqual(new RemoteFunction('(x) => x + 1', ''))
  })
})

describe('the largest frame', () => {
  // Zero-filled typed arrays are mapped lazily: these gigabytes cost no physical memory.
  const headerOf = (chunks: Uint8Array[]) => new DataView(chunks[0].buffer, chunks[0].byteOffset, 12)

  it('encodes a typed array that just fits in 2 GiB with the exact length, which FrameReader accepts', () => {
    const fits = new Uint8Array(2 ** 31 - 256)
    const chunks = encodeFrame(0, { type: 'task', id: 1, op: 'push', ns: { fits } })
    const total = chunks.reduce((n, c) => n + c.byteLength, 0)
    expect(total).toBeLessThanOrEqual(2 ** 31)
    expect(headerOf(chunks).getUint32(0)).toBe(total - 4)
    const frames: number[] = []
    const reader = new FrameReader({ onFrame: () => {}, onFrameStart: (_engine, size) => (frames.push(size), () => {}) })
    reader.push(chunks[0])
    expect(frames).toEqual([total])
  })

  it('refuses one just past it (the old 32-bit overflow) and one past 2 GiB, naming both sizes', () => {
    for (const size of [2 ** 31 - 8, 2 ** 31 + 8]) {
      let err: unknown = null
      try {
        encodeFrame(0, { type: 'task', id: 1, op: 'push', ns: { big: new Uint8Array(size) } })
      } catch (e) {
        err = e
      }
      expect(err).toBeInstanceOf(SerializationError)
      expect(String(err)).toMatch(/the value is \d+(\.\d)? GiB encoded \(\d+ bytes\); the largest value one message can carry is 2 GiB \(2147483648 bytes\): split it/)
    }
  })
})

describe('setTrailingFloat64', () => {
  const result = (value: unknown) =>
    ({ type: 'result', id: 9, status: 'ok', started: 1, completed: 2, stdout: '', stderr: '', value, cpuMs: 0.5 }) as AnyMessage

  it('fills in the number a message ends with, in a small frame and in one whose body is a chunk of its own', () => {
    const big = new Float64Array(4096).fill(2)
    for (const [value, bodyApart] of [[42, false], [{ list: Array.from({ length: 30_000 }, (_, i) => i), big }, true]] as const) {
      const chunks = encodeFrame(0, result(value))
      expect(chunks[0].byteLength === 12).toBe(bodyApart)
      for (const cpuMs of [0.003125, 7, 0]) {
        setTrailingFloat64(chunks, cpuMs)
        const { message } = decodeFrame<{ cpuMs: number; value: unknown }>(concat(chunks))
        expect(message.cpuMs).toBe(cpuMs)
        expect(message.value).toEqual(value)
      }
    }
  })

  it('refuses a frame that does not end with a float64', () => {
    const chunks = encodeFrame(0, { ...(result(1) as object), cpuMs: 3 } as AnyMessage)
    expect(() => setTrailingFloat64(chunks, 1)).toThrow(/float64/)
  })
})

describe('decodeFrame from a shared buffer', () => {
  it('reads each of several frames laid end to end in one buffer (as one socket read holds them), raw sections included', () => {
    const big = new Float64Array(1000).map((_, i) => i / 3)
    const messages: AnyMessage[] = [
      { type: 'task', id: 1, op: 'push', ns: { text: 'é'.repeat(50), n: 1.5 } },
      { type: 'task', id: 2, op: 'push', ns: { big, small: new Int16Array([1, -2, 3]) } },
      { type: 'task', id: 3, op: 'pull', names: ['a', 'b'] },
    ]
    const frames = messages.map((m, i) => concat(encodeFrame(i, m, 'send')))
    const shared = concat(frames)
    let at = 0
    frames.forEach((frame, i) => {
      const view = shared.subarray(at, at + frame.byteLength)
      at += frame.byteLength
      const { engine, message } = decodeFrame(view)
      expect(engine).toBe(i)
      expect(message).toEqual(messages[i])
    })
    // A frame of another buffer in between is read from its own.
    expect(decodeFrame(frames[2]).message).toEqual(messages[2])
    expect(decodeFrame(shared.subarray(0, frames[0].byteLength)).message).toEqual(messages[0])
  })
})
