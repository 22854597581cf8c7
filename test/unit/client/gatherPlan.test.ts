/**
 * GatherPlan: large shares are received straight into one joined array, whichever arrives first,
 * and equal shares whose first one arrives first need no slack (nothing moved to join them).
 */
import { describe, expect, it } from 'vitest'
import { GatherPlan } from '../../../src-main/core/client/gatherPlan'
import type { Task } from '../../../src-main/core/client/Task'
import { decodeFrame, encodeFrame } from '../../../src-main/core/protocol/codec'
import { PLACEMENT_MIN_BYTES } from '../../../src-main/core/protocol/placement'
import { FrameReader } from '../../../src-main/core/protocol/FrameReader'
import type { ResultMessage } from '../../../src-main/core/protocol/messages'

const n = PLACEMENT_MIN_BYTES / 8 + 5
const data = new Float64Array(2 * n + 1).map((_, i) => i * 0.5 - 7)
const even = data.subarray(0, 2 * n)
let nextId = 100

/** Receives the two shares' results in `order` through one FrameReader; returns the joined value. */
function gatherInOrder(shares: Float64Array[], order: number[]): { joined: Float64Array; values: Float64Array[] } {
  const tasks = shares.map((_, i) => ({ id: nextId++, meta: { engineId: i } }) as unknown as Task)
  const plan = new GatherPlan(tasks)
  const values: Float64Array[] = []
  const reader = new FrameReader({
    onFrame: (frame) => {
      const { message } = decodeFrame<ResultMessage>(frame)
      values[tasks.findIndex((t) => t.id === message.id)] = message.value as Float64Array
    },
  })
  for (const i of order) {
    const result: ResultMessage = { type: 'result', id: tasks[i].id, status: 'ok', value: shares[i], started: 1, completed: 2, stdout: '', stderr: '' }
    const stream = Buffer.concat(encodeFrame(i, result))
    for (let at = 0; at < stream.byteLength; at += 65536) reader.push(stream.subarray(at, at + 65536))
  }
  return { joined: plan.join(values) as Float64Array, values }
}

const same = (a: Float64Array, b: Float64Array): boolean => a.length === b.length && Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength))

describe('GatherPlan', () => {
  it('joins equal shares in place with no slack when the first share arrives first', () => {
    const { joined, values } = gatherInOrder([even.subarray(0, n), even.subarray(n)], [0, 1])
    expect(same(joined, even)).toBe(true)
    // Not toBe on the buffers: a failure would print megabytes.
    expect(joined.buffer === values[0].buffer).toBe(true)
    expect(joined.buffer.byteLength).toBe(even.byteLength)
  })

  it('joins shares in place whichever arrives first, the first one longer or not', () => {
    for (const whole of [even, data]) {
      const shares = [whole.subarray(0, n + (whole.length % 2)), whole.subarray(n + (whole.length % 2))]
      for (const order of [[0, 1], [1, 0]]) {
        const { joined, values } = gatherInOrder(shares, order)
        expect(same(joined, whole)).toBe(true)
        expect(joined.buffer === values[0].buffer && joined.buffer === values[1].buffer).toBe(true)
      }
    }
  })
})
