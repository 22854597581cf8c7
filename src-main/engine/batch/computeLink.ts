/**
 * The submit agent's end of one compute agent's TCP connection: the join challenge, then the
 * ordinary agent protocol (hello, spawn, signals, heartbeats) with the engines it was given.
 */
import { randomBytes } from 'node:crypto'
import type { Socket } from 'node:net'
import { decodeFrame, encodeFrame } from '../../core/protocol/codec'
import { AGENT, PROTOCOL_VERSION, type JoinProofMessage, type ToAgent } from '../../core/protocol/messages'
import { StreamTransport } from '../../core/protocol/transport'
import { proofMatches, readFrame } from './joinWire'

export interface ComputeLinkEvents {
  /** Authenticated and greeted: it can take engines. */
  ready(): void
  frame(frame: Uint8Array): void
  /** The connection ended after it was ready (`why`: how, for messages). */
  closed(why: string): void
  /** The peer failed the challenge (or never answered it); the socket is gone. */
  refused(): void
}

const PING_MS = 3000
/** A compute agent must prove the key this fast; anything else on the port is dropped. */
const PROOF_TIMEOUT_MS = 15000

export class ComputeLink {
  ready = false
  host = 'a compute node'
  /** Engine ids this compute agent runs. */
  readonly engines = new Set<number>()
  private transport: StreamTransport | null = null
  private pinger: NodeJS.Timeout | null = null
  private seq = 0

  constructor(
    private readonly socket: Socket,
    key: Buffer,
    private readonly events: ComputeLinkEvents,
  ) {
    socket.setNoDelay(true)
    socket.setKeepAlive(true, 10000)
    socket.on('error', () => undefined)
    const nonce = randomBytes(32).toString('hex')
    for (const chunk of encodeFrame(AGENT, { type: 'joinChallenge', version: PROTOCOL_VERSION, nonce })) socket.write(chunk)
    readFrame(socket, PROOF_TIMEOUT_MS, 'a join proof')
      .then((frame) => {
        const proof = decodeFrame<JoinProofMessage>(frame).message
        if (proof.type !== 'joinProof' || !proofMatches(key, nonce, proof.proof)) throw new Error('wrong key')
        this.host = typeof proof.host === 'string' ? proof.host : this.host
        this.open()
      })
      .catch(() => {
        socket.destroy()
        events.refused()
      })
  }

  private open(): void {
    const transport = new StreamTransport(this.socket, this.socket)
    this.transport = transport
    transport.setHandlers({
      onFrame: (frame) => this.events.frame(frame),
      onClose: (error) => {
        if (this.pinger) clearInterval(this.pinger)
        this.events.closed(error ? `lost its connection (${error.message})` : 'disconnected')
      },
    })
    this.socket.resume()
    this.sendAgent({ type: 'hello', version: PROTOCOL_VERSION })
    this.pinger = setInterval(() => this.sendAgent({ type: 'ping', seq: ++this.seq }), PING_MS)
    this.pinger.unref()
    this.ready = true
    this.events.ready()
  }

  send(chunks: Uint8Array[]): void {
    this.transport?.send(chunks)
  }

  sendAgent(message: ToAgent): void {
    this.send(encodeFrame(AGENT, message))
  }

  /** Ends the connection; the compute agent then kills its engines and exits. */
  close(): void {
    if (this.pinger) clearInterval(this.pinger)
    this.socket.destroy()
  }
}
