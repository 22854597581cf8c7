/**
 * The tail of one engine's output: the last lines its tasks printed, stdout and stderr
 * interleaved as they came. Live `stream` messages carry most of a task's output, and the task's
 * result carries all of it, so the part of the result not yet streamed is added when it ends.
 */
import type { OutputLine } from './api'

/** Lines kept per engine. */
export const TAIL_LINES = 200
/** Longest line kept (a minified blob or a progress bar without newlines). */
const MAX_LINE = 2000

type StreamName = OutputLine['stream']

export class OutputTail {
  private lines: OutputLine[] = []
  /** Text after the last newline, per stream, until its line is complete. */
  private readonly open: Record<StreamName, string> = { stdout: '', stderr: '' }
  /** Characters of each running task's output already taken from its stream messages. */
  private readonly streamed = new Map<number, Record<StreamName, number>>()

  constructor(private readonly max = TAIL_LINES) {}

  /** Live output of task `taskId` (-1: written while no task ran); returns the completed lines. */
  stream(taskId: number, stream: StreamName, text: string): OutputLine[] {
    if (taskId >= 0) {
      const counts = this.streamed.get(taskId) ?? { stdout: 0, stderr: 0 }
      counts[stream] += text.length
      this.streamed.set(taskId, counts)
    }
    return this.add(stream, text)
  }

  /** A task ended with all its output: adds what was not streamed, and ends open lines. */
  taskDone(taskId: number, stdout: string, stderr: string): OutputLine[] {
    // Most tasks print nothing: keep their completion cheap.
    if (stdout === '' && stderr === '' && this.open.stdout === '' && this.open.stderr === '' && this.streamed.size === 0) return []
    const counts = this.streamed.get(taskId)
    this.streamed.delete(taskId)
    const added = [...this.add('stdout', stdout.slice(counts?.stdout ?? 0)), ...this.add('stderr', stderr.slice(counts?.stderr ?? 0))]
    return [...added, ...this.endOpenLines()]
  }

  /** Adds text that is known to be complete (an engine's last words on exit). */
  append(stream: StreamName, text: string): OutputLine[] {
    return [...this.add(stream, text), ...this.endOpenLines()]
  }

  /** Ends lines still open (the engine went quiet mid-line). */
  endOpenLines(): OutputLine[] {
    const out: OutputLine[] = []
    for (const stream of ['stdout', 'stderr'] as const) {
      if (this.open[stream] === '') continue
      out.push(this.push(stream, this.open[stream]))
      this.open[stream] = ''
    }
    return out
  }

  private add(stream: StreamName, text: string): OutputLine[] {
    if (text === '') return []
    const parts = (this.open[stream] + text).split('\n')
    this.open[stream] = parts.pop()!.slice(-MAX_LINE)
    // Only the last `max` lines can survive; skip building the rest.
    return parts.slice(-this.max).map((line) => this.push(stream, line.replace(/\r$/, '')))
  }

  private push(stream: StreamName, text: string): OutputLine {
    const line: OutputLine = { stream, text: text.length > MAX_LINE ? `${text.slice(0, MAX_LINE)}…` : text, at: Date.now() }
    this.lines.push(line)
    if (this.lines.length > this.max * 2) this.lines = this.lines.slice(-this.max)
    return line
  }

  /** The kept lines, trimmed to `max`. */
  snapshot(): OutputLine[] {
    if (this.lines.length > this.max) this.lines = this.lines.slice(-this.max)
    return [...this.lines]
  }
}
