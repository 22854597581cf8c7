/**
 * Opens the client protocol to a controller: connect, check the version, prove the key and have
 * the controller prove it, then hand over a RemoteController. Every failure is a ConnectionError
 * that says what happened.
 */
import { connect as netConnect, type Socket } from 'node:net'
import { hostname } from 'node:os'
import { decodeFrame, encodeFrame } from '../protocol/codec'
import { CLIENT_PROTOCOL_VERSION, type FromController, type ToController } from '../protocol/clientMessages'
import { AGENT } from '../protocol/messages'
import { readsInto } from '../protocol/socketReads'
import { StreamTransport } from '../protocol/transport'
import { ConnectionError } from '../client/errors'
import { taskClient } from '../client/Task'
import { newNonce, proof, proofMatches } from './auth'
import type { ListenAddress } from './ProtocolServer'
import { RemoteController } from './RemoteController'

export interface OpenRemoteOptions {
  address: ListenAddress
  /** The connection file's key (hex). */
  key: string
  /** Names the cluster in messages, e.g. `profile 'lab'`. */
  describe: string
  /** What to run when there is nothing there, for the messages. */
  hint: string
  timeoutMs: number
  /** A connection that only asks (status, is it alive): monitors do not list it as a client (default false). */
  probe?: boolean
}

/** The fresh chunk each read between large frames gets (large ones are read into their place). */
const SMALL_READ_BYTES = 8192

export const addressText = (a: ListenAddress): string => ('path' in a ? a.path : `${a.host}:${a.port}`)

export function openRemote(options: OpenRemoteOptions): Promise<RemoteController> {
  const { address, key, describe, hint, timeoutMs, probe } = options
  const where = `${describe} at ${addressText(address)}`
  return new Promise((resolve, reject) => {
    // Read into the frames themselves: a gathered share lands straight in the joined array.
    let reads: StreamTransport | null = null
    const onread = readsInto(() => reads, () => socket)
    const socket: Socket = 'path' in address ? netConnect({ path: address.path, onread }) : netConnect({ port: address.port, host: address.host, onread })
    socket.setNoDelay?.(true)
    // Before the transport's own listener: a failed connect is explained here, not as a close.
    socket.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT' || err.code === 'ECONNREFUSED') fail(`nothing is listening for ${where} (${err.code}): the cluster has stopped; ${hint}`)
      else fail(`could not connect to ${where}: ${err.message}`)
    })
    const transport = new StreamTransport(socket, socket)
    reads = transport
    const clientNonce = newNonce()
    let serverNonce: Uint8Array | null = null
    let settled = false
    // The frames after `welcome` may share its chunk: the one reader hands them to the controller.
    let link: RemoteController | null = null
    const fail = (message: string): void => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      socket.destroy()
      reject(new ConnectionError(message))
    }
    const timer = setTimeout(() => fail(`the controller of ${where} did not answer within ${timeoutMs} ms: is it stuck? \`clusterdesk list\` shows what runs`), timeoutMs)
    const send = (message: ToController): void => transport.send(encodeFrame(AGENT, message as never))
    transport.setHandlers({
      // This client's own results are placed as they arrive (a gather's shares: see GatherPlan).
      placeable: (id) => link !== null && taskClient(id) === link.clientNo,
      // Between them, mostly small messages: a 64 KiB chunk per read cost a round trip ~25 µs of CPU.
      readChunkBytes: SMALL_READ_BYTES,
      onClose: (err) => {
        if (link) link.closed(err)
        else fail(`the controller of ${where} closed the connection during the handshake: ${hint}`)
      },
      onFrame: (frame) => {
        if (link) return link.frame(frame)
        let message: FromController
        try {
          message = decodeFrame<FromController>(frame).message
        } catch {
          return fail(`${where} does not speak the clusterdesk client protocol`)
        }
        if (message.type === 'challenge') {
          if (message.version !== CLIENT_PROTOCOL_VERSION) {
            return fail(`the controller of ${where} speaks client protocol ${message.version}, this client ${CLIENT_PROTOCOL_VERSION}: use the same clusterdesk version for both`)
          }
          serverNonce = message.nonce
          send({ type: 'auth', version: CLIENT_PROTOCOL_VERSION, nonce: clientNonce, mac: proof(key, 'client', message.nonce, clientNonce), pid: process.pid, host: hostname(), ...(probe ? { probe: true } : {}) })
        } else if (message.type === 'refused') {
          fail(
            message.reason === 'wrong key'
              ? `the controller of ${where} refused this client's key: the connection file does not belong to the cluster running there (restarted since?); read it again, or ${hint}`
              : `the controller of ${where} refused the connection: ${message.reason}`,
          )
        } else if (message.type === 'welcome' && serverNonce) {
          if (!proofMatches(proof(key, 'controller', clientNonce, serverNonce), message.mac)) {
            return fail(`the process at ${where} could not prove the cluster's key: it is not that cluster's controller`)
          }
          settled = true
          clearTimeout(timer)
          socket.removeAllListeners('error')
          link = new RemoteController(socket, transport, message.clientNo, message.engines, describe)
          resolve(link)
        } else fail(`the controller of ${where} sent ${JSON.stringify(message.type)} during the handshake`)
      },
    })
  })
}
