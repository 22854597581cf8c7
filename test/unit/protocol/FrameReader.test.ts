import { describe, expect, it } from 'vitest'
import { decodeFrame, encodeFrame } from '../../../src-main/core/protocol/codec'
import { CorruptStreamError, FrameReader } from '../../../src-main/core/protocol/FrameReader'
import type { AnyMessage } from '../../../src-main/core/protocol/messages'

function concat(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.byteLength, 0))
  let at = 0
  for (const chunk of chunks) {
    out.set(chunk, at)
    at += chunk.byteLength
  }
  return out
}

const MESSAGES: Array<[number, AnyMessage]> = [
  [-1, { type: 'ping', seq: 1 }],
  [2, { type: 'task', id: 7, op: 'push', ns: { x: new Float64Array(100).map((_, i) => i / 3), s: 'text' } }],
  [0, { type: 'abort', ids: [1, 2, 3] }],
  [5, { type: 'task', id: 8, op: 'push', ns: { y: new Int32Array(3).fill(-4) } }],
]
const STREAM = concat(MESSAGES.flatMap(([engine, message]) => encodeFrame(engine, message)))

/** Collects what a reader decodes. */
function collector(): { reader: FrameReader; got: Array<{ engine: number; message: AnyMessage }> } {
  const got: Array<{ engine: number; message: AnyMessage }> = []
  const reader = new FrameReader({ onFrame: (frame) => got.push(decodeFrame<AnyMessage>(frame)) })
  return { reader, got }
}

const expected = MESSAGES.map(([engine, message]) => ({ engine, message }))

describe('FrameReader', () => {
  it('cuts a stream split at every byte boundary into the same frames', () => {
    for (let split = 1; split < STREAM.byteLength; split++) {
      const { reader, got } = collector()
      reader.push(STREAM.subarray(0, split))
      reader.push(STREAM.subarray(split))
      expect(got).toEqual(expected)
      expect(reader.idle).toBe(true)
    }
  })

  it('reads a stream delivered one byte at a time, and at odd offsets', () => {
    const { reader, got } = collector()
    for (let i = 0; i < STREAM.byteLength; i++) reader.push(STREAM.subarray(i, i + 1))
    expect(got).toEqual(expected)
    // A frame starting at an odd address is copied so its typed arrays stay aligned.
    const shifted = new Uint8Array(STREAM.byteLength + 3)
    shifted.set(STREAM, 3)
    const second = collector()
    second.reader.push(shifted.subarray(3))
    expect(second.got).toEqual(expected)
  })

  it('reads many frames from one chunk, in order', () => {
    const frames = Array.from({ length: 1000 }, (_, seq) => encodeFrame(seq % 7, { type: 'ping', seq }))
    const { reader, got } = collector()
    reader.push(concat(frames.flat()))
    expect(got.map((g) => (g.message as { seq: number }).seq)).toEqual(Array.from({ length: 1000 }, (_, i) => i))
    expect(got.map((g) => g.engine)).toEqual(Array.from({ length: 1000 }, (_, i) => i % 7))
  })

  it('streams a frame to the sink onFrameStart returns, without reassembling it', () => {
    const pieces: Uint8Array[] = []
    const starts: Array<[number, number]> = []
    const whole: AnyMessage[] = []
    const reader = new FrameReader({
      onFrame: (frame) => whole.push(decodeFrame<AnyMessage>(frame).message),
      onFrameStart: (engine, size) => {
        starts.push([engine, size])
        return engine === 2 ? (piece) => pieces.push(piece.slice()) : null
      },
    })
    for (let at = 0; at < STREAM.byteLength; at += 100) reader.push(STREAM.subarray(at, at + 100))
    const big = concat(encodeFrame(MESSAGES[1][0], MESSAGES[1][1]))
    expect(starts.map(([engine]) => engine)).toEqual([-1, 2, 0, 5])
    expect(starts[1][1]).toBe(big.byteLength)
    expect(concat(pieces)).toEqual(big)
    expect(whole).toEqual([MESSAGES[0][1], MESSAGES[2][1], MESSAGES[3][1]])
  })

  it('refuses text instead of frames at once, showing it, with a hint about stray output', () => {
    for (const text of ['Welcome to Ubuntu 22.04!\n', 'debug: connected\n', '\x00\x00\x00\x20 not an engine']) {
      const push = (): void => collector().reader.push(new TextEncoder().encode(text))
      expect(push).toThrow(CorruptStreamError)
      expect(push).toThrow(/shell login banner or a stray console\.log/)
    }
    expect(() => collector().reader.push(new TextEncoder().encode('Welcome to Ubuntu!\n'))).toThrow('it starts with "Welcome to U"')
    // Split after the header's first bytes: still refused once the header is complete.
    const { reader } = collector()
    reader.push(new TextEncoder().encode('Wel'))
    expect(() => reader.push(new TextEncoder().encode('come to Ubuntu!\n'))).toThrow(CorruptStreamError)
  })
})

describe('FrameReader.readBuffer (reads straight into frames)', () => {
  /** Plays a socket reading into the buffers the reader hands out, at most `max` bytes a read. */
  function readThrough(reader: FrameReader, stream: Uint8Array, max: number): Uint8Array[] {
    const given: Uint8Array[] = []
    for (let at = 0; at < stream.byteLength; ) {
      const buffer = reader.readBuffer() ?? new Uint8Array(65536)
      given.push(buffer)
      const n = Math.min(buffer.byteLength, max, stream.byteLength - at)
      buffer.set(stream.subarray(at, at + n))
      reader.push(buffer.subarray(0, n))
      at += n
    }
    return given
  }

  it('hands out the rest of a large frame, which then arrives without a copy, and no buffer between frames', () => {
    const big = new Float64Array(40_000).map((_, i) => i - 0.25)
    const messages: AnyMessage[] = [{ type: 'ping', seq: 1 }, { type: 'task', id: 3, op: 'push', ns: { big } }, { type: 'ping', seq: 2 }]
    const stream = concat(messages.flatMap((m) => encodeFrame(1, m)))
    for (const max of [100_000, 65536, 1 << 20]) {
      const frames: Uint8Array[] = []
      const reader = new FrameReader({ onFrame: (frame) => frames.push(frame) })
      const given = readThrough(reader, stream, max)
      expect(frames.map((f) => decodeFrame<AnyMessage>(f).message)).toEqual(messages)
      // The big frame is the memory the socket read into after its first chunk.
      expect(given.some((b) => b.buffer === frames[1].buffer && b.byteLength < frames[1].byteLength)).toBe(true)
      expect(reader.idle).toBe(true)
      // Between frames the bytes may go anywhere: the socket picks its own chunk.
      expect(reader.readBuffer()).toBeNull()
    }
  })
})
