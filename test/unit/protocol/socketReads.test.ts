/**
 * Reads into given buffers on a real Unix socket that a server accepted: the adopted socket
 * delivers every byte in order, into the buffer its target names, copies (not views of the one
 * reused chunk) between, and the server still closes once the connection is gone.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { adoptReads, readsInto, type ReadTarget } from '../../../src-main/core/protocol/socketReads'

const cleanups: Array<() => void> = []
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup()
})

/** A paused server on a fresh Unix socket, its first accepted connection, and the client end. */
async function connectedPair(): Promise<{ server: net.Server; accepted: net.Socket; client: net.Socket }> {
  const dir = mkdtempSync(join(os.tmpdir(), 'clusterdesk-reads-'))
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }))
  const server = net.createServer({ pauseOnConnect: true })
  await new Promise<void>((resolve) => server.listen(join(dir, 's'), resolve))
  const accepted = new Promise<net.Socket>((resolve) => server.once('connection', resolve))
  const client = net.connect(join(dir, 's'))
  cleanups.push(() => client.destroy())
  return { server, accepted: await accepted, client }
}

function pattern(n: number, seed: number): Uint8Array {
  return Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff)
}

describe('adoptReads and readsInto', () => {
  it('delivers every byte in order, read into the target it names and copied out of the reused chunk otherwise', async () => {
    const { server, accepted, client } = await connectedPair()
    const into = new Uint8Array(1 << 20)
    let wanted = false
    let filled = 0
    const target: ReadTarget = { readBuffer: () => (wanted && filled < into.byteLength ? into.subarray(filled) : null) }
    const chunks: Buffer[] = []
    const smallChunks: Buffer[] = []
    const socket: net.Socket = adoptReads(accepted, readsInto(() => target, () => socket, { copyBetween: true }))
    cleanups.push(() => socket.destroy())
    const small = pattern(1000, 7)
    const large = pattern(into.byteLength, 3)
    const got = new Promise<void>((resolve) => {
      socket.on('data', (chunk: Buffer) => {
        chunks.push(chunk)
        if (!wanted) smallChunks.push(chunk)
        else if (chunk.buffer === into.buffer) filled += chunk.byteLength
        else {
          into.set(chunk, filled)
          filled += chunk.byteLength
        }
        if (!wanted && Buffer.concat(smallChunks).byteLength === small.byteLength) {
          wanted = true
          client.write(large)
        }
        if (filled === into.byteLength) resolve()
      })
    })
    client.write(small)
    await got
    expect(Buffer.concat(smallChunks).equals(Buffer.from(small))).toBe(true)
    expect(Buffer.from(into).equals(Buffer.from(large))).toBe(true)
    // Most of the large write went straight into `into`; the chunks before it own their memory.
    expect(chunks.filter((c) => c.buffer === into.buffer).reduce((n, c) => n + c.byteLength, 0)).toBeGreaterThan(into.byteLength / 2)
    const copies = chunks.filter((c) => c.buffer !== into.buffer)
    expect(new Set(copies.map((c) => c.buffer)).size).toBe(copies.length)
    // The server's count of connections is settled: closing it waits only for the adopted socket.
    socket.destroy()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  })

  it('writes through the adopted socket as through the accepted one', async () => {
    const { server, accepted, client } = await connectedPair()
    const socket: net.Socket = adoptReads(accepted, readsInto(() => null, () => socket, { copyBetween: true }))
    const echoed = new Promise<Buffer>((resolve) => client.once('data', resolve))
    socket.on('data', (chunk: Buffer) => socket.write(chunk))
    client.write('ping')
    expect((await echoed).toString()).toBe('ping')
    socket.destroy()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  })
})
