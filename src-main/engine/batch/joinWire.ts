/**
 * The little that a batch job's agents need before they speak the ordinary agent protocol: the
 * submit agent's config line on its stdin, one whole frame read off a socket (the join
 * challenge and its proof), and the proof itself, HMAC-SHA256 over the job's key.
 */
import { createHmac, timingSafeEqual } from 'node:crypto'
import { FRAME_HEADER_BYTES, frameSize } from '../../core/protocol/codec'

type Readable = NodeJS.ReadableStream & { pause(): unknown; unshift(chunk: Buffer): void }

/** Reads bytes until `complete` says how many belong to the preamble; the rest is unshifted. */
function readUntil(input: Readable, complete: (bytes: Buffer) => number, timeoutMs: number, what: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    let bytes = Buffer.alloc(0)
    const done = (err: Error | null, value?: Buffer): void => {
      clearTimeout(timer)
      input.removeListener('data', onData)
      input.removeListener('end', onEnd)
      input.removeListener('error', onError)
      if (err) reject(err)
      else resolve(value!)
    }
    const onData = (chunk: Buffer): void => {
      bytes = Buffer.concat([bytes, chunk])
      const n = complete(bytes)
      if (n < 0) return
      input.pause()
      if (n < bytes.length) input.unshift(bytes.subarray(n))
      done(null, bytes.subarray(0, n))
    }
    const onEnd = (): void => done(new Error(`the stream ended before ${what}`))
    const onError = (err: Error): void => done(err)
    const timer = setTimeout(() => done(new Error(`no ${what} within ${timeoutMs} ms`)), timeoutMs)
    timer.unref()
    input.on('data', onData)
    input.once('end', onEnd)
    input.once('error', onError)
  })
}

/** One line (the submit agent's JSON config), without its newline. */
export async function readLine(input: Readable, timeoutMs: number): Promise<string> {
  const line = await readUntil(input, (b) => (b.indexOf(10) < 0 ? -1 : b.indexOf(10) + 1), timeoutMs, 'the batch job configuration')
  return line.subarray(0, line.length - 1).toString('utf8')
}

/** One whole protocol frame; the stream is left paused with whatever followed it unshifted. */
export function readFrame(input: Readable, timeoutMs: number, what: string): Promise<Uint8Array> {
  return readUntil(input, (b) => (b.length >= FRAME_HEADER_BYTES && b.length >= frameSize(b) ? frameSize(b) : b.length > 1 << 20 ? 0 : -1), timeoutMs, what)
}

export function joinProof(key: Buffer, nonce: string): string {
  return createHmac('sha256', key).update(nonce).digest('hex')
}

export function proofMatches(key: Buffer, nonce: string, proof: unknown): boolean {
  if (typeof proof !== 'string') return false
  const want = Buffer.from(joinProof(key, nonce), 'hex')
  const got = Buffer.from(proof, 'hex')
  return got.length === want.length && timingSafeEqual(got, want)
}
