import { PassThrough } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { decodeFrame, encodeFrame } from '../../../src-main/core/protocol/codec'
import { StreamTransport } from '../../../src-main/core/protocol/transport'

/** Two StreamTransports over in-memory streams, counting the writes each direction's stream gets. */
function pair(coalesce = true): { a: StreamTransport; b: StreamTransport; writes: Uint8Array[]; received: Uint8Array[]; out: PassThrough } {
  const ab = new PassThrough()
  const ba = new PassThrough()
  const writes: Uint8Array[] = []
  const write = ab.write.bind(ab) as (chunk: Uint8Array) => boolean
  ab.write = ((chunk: Uint8Array) => {
    writes.push(chunk)
    return write(chunk)
  }) as typeof ab.write
  const a = new StreamTransport(ba, ab, [], { coalesce })
  const b = new StreamTransport(ab, ba)
  const received: Uint8Array[] = []
  a.setHandlers({ onFrame: () => {}, onClose: () => {} })
  b.setHandlers({ onFrame: (frame) => received.push(new Uint8Array(frame)), onClose: () => {} })
  return { a, b, writes, received, out: ab }
}

const nextTurn = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 20))

describe('StreamTransport', () => {
  it('without coalesce, writes each frame at once: a stream ended right after a send still carries it', async () => {
    const { a, out, received } = pair(false)
    a.send(encodeFrame(1, { type: 'stream', id: 1, name: 'stdout', text: 'refused' }))
    a.send(encodeFrame(1, { type: 'stream', id: 2, name: 'stdout', text: 'bye' }))
    out.end()
    await nextTurn()
    expect(received.map((f) => decodeFrame<{ text: string }>(f).message.text)).toEqual(['refused', 'bye'])
  })

  it('with coalesce, writes the small frames of one tick as one write, every frame complete and in order', async () => {
    const { a, writes, received } = pair()
    for (let i = 0; i < 500; i++) a.send(encodeFrame(1, { type: 'result', id: i, status: 'ok', value: i, started: 0, completed: 0, stdout: '', stderr: '' }))
    await nextTurn()
    expect(writes).toHaveLength(1)
    expect(received.map((f) => (decodeFrame<{ id: number; value: number }>(f).message).value)).toEqual(Array.from({ length: 500 }, (_, i) => i))
  })

  it('keeps order when large typed arrays (written without a copy) come between small frames', async () => {
    const { a, received } = pair()
    const big = new Float64Array(10_000).map((_, i) => i * 0.5)
    const sent: number[] = []
    for (let i = 0; i < 40; i++) {
      const value = i % 7 === 3 ? big.subarray(i) : i
      sent.push(i)
      a.send(encodeFrame(2, { type: 'result', id: i, status: 'ok', value, started: 0, completed: 0, stdout: '', stderr: '' }))
    }
    await nextTurn()
    const messages = received.map((f) => decodeFrame<{ id: number; value: unknown }>(f).message)
    expect(messages.map((m) => m.id)).toEqual(sent)
    for (const m of messages) {
      if (m.id % 7 === 3) expect(Array.from(m.value as Float64Array)).toEqual(Array.from(big.subarray(m.id)))
      else expect(m.value).toBe(m.id)
    }
  })

  it('writes a tick whose small frames pass the batch size in several writes, frames intact', async () => {
    const { a, writes, received } = pair()
    const text = 'x'.repeat(8000)
    for (let i = 0; i < 100; i++) a.send(encodeFrame(3, { type: 'stream', id: i, name: 'stdout', text: `${i}:${text}` }))
    await nextTurn()
    expect(writes.length).toBeGreaterThan(1)
    expect(writes.length).toBeLessThan(10)
    expect(received.map((f) => decodeFrame<{ text: string }>(f).message.text)).toEqual(Array.from({ length: 100 }, (_, i) => `${i}:${text}`))
  })

  it('writes what waits in the batch before it ends the stream', async () => {
    const { a, received } = pair()
    a.send(encodeFrame(1, { type: 'stream', id: 1, name: 'stdout', text: 'last words' }))
    a.close()
    await nextTurn()
    expect(received.map((f) => decodeFrame<{ text: string }>(f).message.text)).toEqual(['last words'])
  })
})
