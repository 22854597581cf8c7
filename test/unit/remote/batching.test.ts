/**
 * The two small pieces the client protocol's speed rests on: the queue of entries waiting for
 * their frames, and the batching of one tick's frames into few writes.
 */
import { describe, expect, it } from 'vitest'
import { EntryQueue } from '../../../src-main/core/remote/EntryQueue'
import { WriteBatch } from '../../../src-main/core/protocol/WriteBatch'

const concat = (chunks: Uint8Array[]): number[] => chunks.flatMap((c) => [...c])

describe('EntryQueue', () => {
  it('hands out the entries of every batch in order, across batches pushed while reading', () => {
    const q = new EntryQueue<number>()
    q.push([1, 2])
    q.push([])
    q.push([3])
    const out: number[] = [q.shift()]
    q.push([4, 5])
    while (q.size > 0) out.push(q.shift())
    expect(out).toEqual([1, 2, 3, 4, 5])
    q.push([6])
    expect(q.size).toBe(1)
    expect(q.shift()).toBe(6)
    expect(q.size).toBe(0)
  })

  it('reads a batch of 200,000 entries in linear time', () => {
    const q = new EntryQueue<number>()
    q.push(Array.from({ length: 200_000 }, (_, i) => i))
    let sum = 0
    while (q.size > 0) sum += q.shift()
    expect(sum).toBe((200_000 * 199_999) / 2)
  })
})

describe('WriteBatch', () => {
  it('joins small chunks into one buffer and keeps the bytes and their order', () => {
    const b = new WriteBatch()
    expect(b.empty).toBe(true)
    b.add([Uint8Array.of(1, 2), Uint8Array.of(3)])
    b.add([Uint8Array.of(4)])
    expect(b.empty).toBe(false)
    const out = b.take()
    expect(out).toHaveLength(1)
    expect(concat(out)).toEqual([1, 2, 3, 4])
    expect(b.take()).toEqual([])
  })

  it('passes large chunks through as they are, between the runs of small ones', () => {
    const big = new Uint8Array(1 << 20).fill(7)
    const b = new WriteBatch()
    b.add([Uint8Array.of(1), big, Uint8Array.of(2), Uint8Array.of(3)])
    const out = b.take()
    expect(out).toHaveLength(3)
    expect(out[1]).toBe(big)
    expect([...out[0]]).toEqual([1])
    expect([...out[2]]).toEqual([2, 3])
  })

  it('starts a new buffer when one would grow past its size', () => {
    const b = new WriteBatch()
    const chunk = new Uint8Array(10_000).fill(9)
    for (let i = 0; i < 60; i++) b.add([chunk])
    const out = b.take()
    expect(out.length).toBeGreaterThan(1)
    expect(out.reduce((n, c) => n + c.byteLength, 0)).toBe(600_000)
    expect(out.every((c) => c.byteLength <= 256 * 1024)).toBe(true)
  })
})
