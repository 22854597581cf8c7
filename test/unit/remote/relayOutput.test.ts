/**
 * RelayOutput: frames relayed while they arrive are never interleaved with anything else sent to
 * the client; what comes meanwhile (messages, a second relay) follows in order, and a relay cut
 * short is padded to its announced length.
 */
import { describe, expect, it } from 'vitest'
import type { Transport } from '../../../src-main/core/protocol/transport'
import { RelayOutput } from '../../../src-main/core/remote/RelayOutput'

function output(): { out: RelayOutput; sent: () => number[] } {
  const chunks: Uint8Array[] = []
  const transport: Transport = { send: (c) => void chunks.push(...c), setHandlers: () => {}, close: () => {} }
  return { out: new RelayOutput(transport), sent: () => chunks.flatMap((c) => [...c]) }
}
const b = (...bytes: number[]): Uint8Array => Uint8Array.from(bytes)

describe('RelayOutput', () => {
  it('sends at once when nothing is being relayed', () => {
    const { out, sent } = output()
    out.send([b(1), b(2)])
    expect(sent()).toEqual([1, 2])
  })

  it('holds what is sent during a relay, and a later relay’s bytes, until the relay before is complete', () => {
    const { out, sent } = output()
    const first = out.relay([b(100)], 3)
    first.push(b(11))
    out.send([b(50)])
    const second = out.relay([b(101)], 2)
    second.push(b(21))
    expect(sent()).toEqual([100, 11])
    first.push(b(12, 13))
    expect(sent()).toEqual([100, 11, 12, 13, 50, 101, 21])
    out.send([b(51)])
    second.push(b(22))
    expect(sent()).toEqual([100, 11, 12, 13, 50, 101, 21, 22, 51])
    out.send([b(52)])
    expect(sent().at(-1)).toBe(52)
  })

  it('pads a relay cut short with zeros to its length, then sends what waited', () => {
    const { out, sent } = output()
    const relay = out.relay([b(100)], 4)
    relay.push(b(7))
    out.send([b(50)])
    relay.pad()
    expect(sent()).toEqual([100, 7, 0, 0, 0, 50])
    expect(relay.left).toBe(0)
  })

  it('sends nothing more once closed', () => {
    const { out, sent } = output()
    const relay = out.relay([b(100)], 2)
    out.close()
    relay.push(b(1, 2))
    out.send([b(50)])
    expect(sent()).toEqual([100])
  })
})
