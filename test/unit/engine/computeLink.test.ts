/** The join challenge: only a compute agent that holds the job's key gets the agent protocol. */
import { randomBytes } from 'node:crypto'
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { decodeFrame, encodeFrame } from '../../../src-main/core/protocol/codec'
import { AGENT, type JoinChallengeMessage } from '../../../src-main/core/protocol/messages'
import { ComputeLink } from '../../../src-main/engine/batch/computeLink'
import { joinProof, readFrame } from '../../../src-main/engine/batch/joinWire'

const key = randomBytes(32)
let server: Server | null = null
const sockets: Socket[] = []
afterEach(() => {
  for (const s of sockets.splice(0)) s.destroy()
  server?.close()
})

/** A submit-side listener; resolves with what happened to the one link and what the peer read. */
async function join(answer: (challenge: JoinChallengeMessage) => string): Promise<{ outcome: 'ready' | 'refused'; afterProof: Uint8Array | null }> {
  let settle!: (o: 'ready' | 'refused') => void
  const outcome = new Promise<'ready' | 'refused'>((r) => (settle = r))
  server?.close()
  server = createServer((socket) => {
    sockets.push(socket)
    new ComputeLink(socket, key, { ready: () => settle('ready'), refused: () => settle('refused'), frame: () => undefined, closed: () => undefined })
  })
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', () => r()))
  const client = connect((server.address() as AddressInfo).port, '127.0.0.1')
  sockets.push(client)
  client.on('error', () => undefined)
  const challenge = decodeFrame<JoinChallengeMessage>(await readFrame(client, 5000, 'the challenge')).message
  for (const chunk of encodeFrame(AGENT, { type: 'joinProof', proof: answer(challenge), host: 'node7' })) client.write(chunk)
  client.resume()
  const result = await outcome
  const afterProof = await readFrame(client, 1000, 'a frame').catch(() => null)
  return { outcome: result, afterProof }
}

describe('joining a batch job', () => {
  it('accepts the HMAC of the nonce under the job key, and greets the compute agent', async () => {
    const { outcome, afterProof } = await join((c) => joinProof(key, c.nonce))
    expect(outcome).toBe('ready')
    expect(decodeFrame(afterProof!).message).toMatchObject({ type: 'hello' })
  })

  it('refuses a wrong key and closes the socket without a word', async () => {
    const { outcome, afterProof } = await join((c) => joinProof(randomBytes(32), c.nonce))
    expect(outcome).toBe('refused')
    expect(afterProof).toBeNull()
  })

  it('refuses a replayed or malformed proof', async () => {
    expect((await join(() => 'not hex at all')).outcome).toBe('refused')
    expect((await join(() => joinProof(key, 'another nonce'))).outcome).toBe('refused')
  })
})
