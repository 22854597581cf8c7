// @vitest-environment happy-dom
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { ConnectionClosedError, ServiceCallError, type ConnectionStatus } from '../../../src-renderer/src/api/client'
import { bridgeUrl, createWsClient, type SocketLike } from '../../../src-renderer/src/api/wsAdapter'

/** A socket the test drives: it records what the client sends and opens/closes on command. */
class FakeSocket implements SocketLike {
  readyState = 0
  sent: Array<{ id: number; method: string; args: unknown[] }> = []
  onopen: SocketLike['onopen'] = null
  onmessage: SocketLike['onmessage'] = null
  onclose: SocketLike['onclose'] = null
  onerror: SocketLike['onerror'] = null
  constructor(readonly url: string) {}
  send(data: string): void {
    this.sent.push(JSON.parse(data))
  }
  close(code = 1000, reason = ''): void {
    this.readyState = 3
    this.onclose?.({ code, reason })
  }
  open(): void {
    this.readyState = 1
    this.onopen?.({})
  }
  reply(message: unknown): void {
    this.onmessage?.({ data: JSON.stringify(message) })
  }
}

let sockets: FakeSocket[]
const connect = (url: string) => {
  const s = new FakeSocket(url)
  sockets.push(s)
  return s
}

beforeEach(() => {
  sockets = []
  vi.useFakeTimers()
})
afterEach(() => vi.useRealTimers())

describe('bridgeUrl', () => {
  it('takes the token from the page address', () => {
    expect(bridgeUrl({ protocol: 'http:', host: '127.0.0.1:4321', search: '?token=a%2Fb' })).toBe('ws://127.0.0.1:4321/api?token=a%2Fb')
    // Without a token in the URL the bridge's cookie may still let the page in.
    expect(bridgeUrl({ protocol: 'http:', host: '127.0.0.1:4321', search: '' })).toBe('ws://127.0.0.1:4321/api')
  })
})

describe('the WebSocket adapter', () => {
  it('sends {id, method, args} and resolves with the matching result', async () => {
    const client = createWsClient({ url: 'ws://x/api?token=t', connect })
    const nodes = client.deleteNode('n1')
    const snap = client.snapshot()
    // Calls made before the socket opens wait for it.
    expect(sockets[0].sent).toEqual([])
    sockets[0].open()
    expect(sockets[0].sent.map((m) => [m.method, m.args])).toEqual([
      ['deleteNode', ['n1']],
      ['snapshot', []],
    ])
    const [a, b] = sockets[0].sent
    sockets[0].reply({ id: b.id, result: { version: '1' } })
    sockets[0].reply({ id: a.id, result: null })
    await expect(snap).resolves.toEqual({ version: '1' })
    await expect(nodes).resolves.toBeNull()
  })

  it('rebuilds an error reply as a named error', async () => {
    const client = createWsClient({ url: 'ws://x/api', connect })
    sockets[0].open()
    const call = client.runPi({ samples: 1, tasks: 1, mode: 'lb-map', kernel: 'seeded', seed: 1, targets: '9' })
    sockets[0].reply({ id: sockets[0].sent[0].id, error: { name: 'PiOptionsError', message: 'there is no engine 9' } })
    const err = await call.catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ServiceCallError)
    expect(err).toMatchObject({ name: 'PiOptionsError', message: 'there is no engine 9', method: 'runPi' })
  })

  it('rejects every pending call when the socket closes, then reconnects with backoff', async () => {
    const client = createWsClient({ url: 'ws://x/api', connect, minDelayMs: 100, maxDelayMs: 1000 })
    const statuses: ConnectionStatus[] = []
    client.onConnection((s) => statuses.push(s))
    sockets[0].open()
    const sent = client.execute('1 + 1', 'all')
    const queuedAfter = client.clearErrors()
    sockets[0].close(1006, '')
    const [e1, e2] = await Promise.all([sent.catch((e: unknown) => e), queuedAfter.catch((e: unknown) => e)])
    expect(e1).toBeInstanceOf(ConnectionClosedError)
    expect((e1 as Error).message).toMatch(/closed before execute answered.*not reachable/)
    expect(e2).toBeInstanceOf(ConnectionClosedError)
    expect(statuses.at(-1)).toMatchObject({ state: 'closed', retryInMs: 100 })

    // No new socket before the delay; one after it.
    vi.advanceTimersByTime(99)
    expect(sockets).toHaveLength(1)
    vi.advanceTimersByTime(1)
    expect(sockets).toHaveLength(2)
    // A second failure doubles the delay.
    sockets[1].close(1006, '')
    expect(statuses.at(-1)).toMatchObject({ state: 'closed', retryInMs: 200 })
    vi.advanceTimersByTime(200)
    sockets[2].open()
    expect(statuses.at(-1)).toEqual({ state: 'open' })
    const again = client.snapshot()
    sockets[2].reply({ id: sockets[2].sent[0].id, result: 'ok' })
    await expect(again).resolves.toBe('ok')
  })

  it('does not retry a refused token, and says why', async () => {
    const client = createWsClient({ url: 'ws://x/api?token=bad', connect, minDelayMs: 10 })
    const statuses: ConnectionStatus[] = []
    client.onConnection((s) => statuses.push(s))
    const pending = client.snapshot()
    sockets[0].close(1008, 'wrong or missing token: open the URL that `clusterdesk serve` printed')
    await expect(pending).rejects.toThrow(/wrong or missing token/)
    vi.advanceTimersByTime(10_000)
    expect(sockets).toHaveLength(1)
    expect(statuses.at(-1)).toEqual({ state: 'closed', reason: 'wrong or missing token: open the URL that `clusterdesk serve` printed' })
  })

  it('delivers pushed event batches to every listener until it unsubscribes', () => {
    const client = createWsClient({ url: 'ws://x/api', connect })
    sockets[0].open()
    const got: unknown[] = []
    const off = client.onEvents((batch) => got.push(...batch))
    sockets[0].reply({ events: [{ type: 'errorsCleared' }] })
    off()
    sockets[0].reply({ events: [{ type: 'errorsCleared' }, { type: 'errorsCleared' }] })
    expect(got).toEqual([{ type: 'errorsCleared' }])
  })

  it('close() rejects what is pending and stops reconnecting', async () => {
    const client = createWsClient({ url: 'ws://x/api', connect, minDelayMs: 10 })
    sockets[0].open()
    const pending = client.snapshot()
    client.close()
    await expect(pending).rejects.toBeInstanceOf(ConnectionClosedError)
    vi.advanceTimersByTime(1000)
    expect(sockets).toHaveLength(1)
    await expect(client.snapshot()).rejects.toThrow(/client was closed/)
  })
})
