/**
 * The frames a stream writes in one tick, as few chunks as possible: small chunks (entries, tiny
 * tasks and results) are copied into shared buffers, so that thousands of frames are one or two
 * writes instead of a writev of thousands of buffers; large chunks (the payload bytes of a scatter
 * or a gather) pass through as they are, never copied. Used by the client protocol's two ends and
 * by a coalescing StreamTransport.
 */

/** Chunks smaller than this are copied into the batch's buffer. */
const COPY_BELOW = 16 * 1024
/** Size of each shared buffer (a smaller run of small chunks gets a buffer of its own size). */
const BUFFER_BYTES = 256 * 1024

export class WriteBatch {
  private readonly out: Uint8Array[] = []
  /** Small chunks not yet copied, and their total size. */
  private run: Uint8Array[] = []
  private runBytes = 0

  get empty(): boolean {
    return this.out.length === 0 && this.run.length === 0
  }

  add(chunks: readonly Uint8Array[]): void {
    for (const chunk of chunks) {
      if (chunk.byteLength >= COPY_BELOW) {
        this.close()
        this.out.push(chunk)
        continue
      }
      if (this.runBytes + chunk.byteLength > BUFFER_BYTES) this.close()
      this.run.push(chunk)
      this.runBytes += chunk.byteLength
    }
  }

  /** Everything added since the last call, in order. */
  take(): Uint8Array[] {
    this.close()
    return this.out.splice(0)
  }

  private close(): void {
    if (this.run.length === 0) return
    if (this.run.length === 1) this.out.push(this.run[0])
    else {
      const joined = Buffer.allocUnsafe(this.runBytes)
      let at = 0
      for (const chunk of this.run) {
        joined.set(chunk, at)
        at += chunk.byteLength
      }
      this.out.push(joined)
    }
    this.run = []
    this.runBytes = 0
  }
}
