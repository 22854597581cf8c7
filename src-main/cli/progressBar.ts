/**
 * A live progress bar for π runs on stderr, shown only when stderr is a terminal (so logs and
 * pipes get no control characters, and stdout stays clean for `--json`).
 */
import { Presets, SingleBar } from 'cli-progress'

export interface RunProgress {
  /** Starts a bar for one run of `total` chunks. */
  start(label: string, total: number): void
  update(done: number): void
  /** Removes the bar (after a run, on an error, on Ctrl-C). Safe to call twice. */
  stop(): void
}

const silent: RunProgress = { start() {}, update() {}, stop() {} }

/** A bar on `stream` if it is a TTY, else one that draws nothing. */
export function createProgress(stream: NodeJS.WriteStream = process.stderr): RunProgress {
  if (!stream.isTTY) return silent
  let bar: SingleBar | null = null
  return {
    start(label, total) {
      this.stop()
      bar = new SingleBar(
        {
          stream,
          format: `{label} [{bar}] {percentage}% | {value}/{total} tasks | {duration_formatted}`,
          hideCursor: true,
          clearOnComplete: true,
          fps: 15,
        },
        Presets.shades_classic,
      )
      bar.start(total, 0, { label: label.padEnd(15) })
    },
    update(done) {
      bar?.update(done)
    },
    stop() {
      bar?.stop()
      bar = null
    },
  }
}
