/**
 * Per-task capture of what user code writes to `process.stdout` / `process.stderr` (and so
 * through `console`): it goes into the running task's `stdout`/`stderr`, never to the engine's
 * real streams, and is also sent as `stream` messages at most every 50 ms for live views.
 * Those go out while a task awaits; one that computes synchronously cannot send anything before
 * it returns, so its output arrives with its result (which always carries all of it).
 */
import type { StreamMessage } from '../core/protocol/messages'

/** Task id of output written while no task runs (leftovers of async code). */
export const NO_TASK = -1
const STREAM_BATCH_MS = 50
/** Captured text kept per task and stream; a runaway print loop must not exhaust memory. */
const MAX_CAPTURED_CHARS = 8 * 1024 * 1024
const TRUNCATED = '\n[... output truncated by clusterdesk ...]\n'

type StreamName = StreamMessage['name']
type Write = typeof process.stdout.write

export class OutputCapture {
  /** What the current (or last) task wrote. */
  stdout = ''
  stderr = ''
  private task = NO_TASK
  private pendingTask = NO_TASK
  private pendingStdout = ''
  private pendingStderr = ''
  private timer: NodeJS.Timeout | null = null
  private readonly flushBound = (): void => this.flush()

  constructor(private readonly sendStream: (message: StreamMessage) => void) {}

  /** Replaces the process's stdout/stderr writers for good. */
  install(): void {
    process.stdout.write = this.writer('stdout')
    process.stderr.write = this.writer('stderr')
  }

  begin(taskId: number): void {
    if (this.pendingTask !== taskId) this.flush()
    this.task = taskId
    this.stdout = ''
    this.stderr = ''
  }

  /** Ends the task's capture; its unsent stream text is dropped, as the result carries it all. */
  end(): void {
    if (this.pendingTask === this.task) {
      this.pendingStdout = ''
      this.pendingStderr = ''
    }
    this.task = NO_TASK
  }

  /** Appends text as if user code wrote it (uncaught async errors, engine notices). */
  write(name: StreamName, text: string): void {
    if (this.task !== NO_TASK) {
      if (name === 'stdout') this.stdout = append(this.stdout, text)
      else this.stderr = append(this.stderr, text)
    }
    if (this.pendingTask !== this.task) this.flush()
    this.pendingTask = this.task
    if (name === 'stdout') this.pendingStdout = append(this.pendingStdout, text)
    else this.pendingStderr = append(this.pendingStderr, text)
    if (this.timer === null) {
      this.timer = setTimeout(this.flushBound, STREAM_BATCH_MS)
      this.timer.unref()
    }
  }

  /** The end of what the running task wrote, for the crash report when user code exits the engine. */
  lastWords(max = 2048): string {
    if (this.task === NO_TASK) return ''
    return (this.stdout.slice(-max) + this.stderr.slice(-max)).trim()
  }

  private flush(): void {
    if (this.timer !== null) {
      clearTimeout(this.timer)
      this.timer = null
    }
    const id = this.pendingTask
    if (this.pendingStdout) this.sendStream({ type: 'stream', id, name: 'stdout', text: this.pendingStdout })
    if (this.pendingStderr) this.sendStream({ type: 'stream', id, name: 'stderr', text: this.pendingStderr })
    this.pendingStdout = ''
    this.pendingStderr = ''
  }

  private writer(name: StreamName): Write {
    return ((chunk: unknown, encoding?: unknown, callback?: unknown): boolean => {
      if (typeof encoding === 'function') callback = encoding
      this.write(name, toText(chunk))
      if (typeof callback === 'function') process.nextTick(callback as () => void)
      return true
    }) as Write
  }
}

function toText(chunk: unknown): string {
  if (typeof chunk === 'string') return chunk
  if (ArrayBuffer.isView(chunk)) return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength).toString('utf8')
  return String(chunk)
}

function append(current: string, text: string): string {
  if (current.length >= MAX_CAPTURED_CHARS) return current
  const next = current + text
  return next.length > MAX_CAPTURED_CHARS ? next.slice(0, MAX_CAPTURED_CHARS) + TRUNCATED : next
}
