/**
 * Turns whatever user code threw into the plain-data error that crosses the wire, keeping only
 * the stack frames that point into user code.
 */
import { inspect } from 'node:util'
import type { WireError } from '../core/protocol/messages'
import { HELPER_FILENAME } from './namespace'

export const INTERRUPTED: Readonly<WireError> = Object.freeze({
  ename: 'Interrupted',
  evalue: 'interrupted by the user (SIGINT)',
  traceback: 'Interrupted: interrupted by the user (SIGINT)',
})

const FRAME = /^\s+at\s/

/**
 * Builds a `WireError` whose traceback reads like `Error.stack`: `ename: evalue`, then the frames
 * in user code, one string; frames inside `bundlePath` (the engine itself) and node internals are
 * dropped.
 */
export function toWireError(thrown: unknown, bundlePath: string): WireError {
  if (isInterruption(thrown)) return { ...INTERRUPTED }
  if (thrown === null || typeof thrown !== 'object') {
    const evalue = String(thrown)
    return { ename: 'Error', evalue, traceback: `Error: ${evalue}` }
  }
  const err = thrown as { name?: unknown; message?: unknown; stack?: unknown; constructor?: { name?: unknown } }
  if (!(thrown instanceof Error) && err.message === undefined && err.stack === undefined) {
    // `throw { code: 5 }`: no name, message or stack of its own; show the value itself.
    const evalue = `a non-Error value was thrown: ${inspect(thrown, { depth: 2, breakLength: Infinity })}`
    return { ename: 'Error', evalue, traceback: `Error: ${evalue}` }
  }
  const ename =
    typeof err.name === 'string' && err.name
      ? err.name
      : typeof err.constructor?.name === 'string' && err.constructor.name
        ? err.constructor.name
        : 'Error'
  const evalue = err.message === undefined ? '' : String(err.message)
  const header = evalue ? `${ename}: ${evalue}` : ename
  return { ename, evalue, traceback: [header, ...userFrames(err.stack, ename, bundlePath)].join('\n') }
}

/** True for the error vm throws when SIGINT stopped a script. */
export function isInterruption(thrown: unknown): boolean {
  return (thrown as { code?: unknown } | null)?.code === 'ERR_SCRIPT_EXECUTION_INTERRUPTED'
}

/**
 * The `at ...` lines that point into user code, followed by the source excerpt Node puts in front
 * of a script's error (`<execute>:2`, the line, a caret) when there is one.
 */
function userFrames(stack: unknown, ename: string, bundlePath: string): string[] {
  if (typeof stack !== 'string') return []
  const lines = stack.split('\n')
  const firstFrame = lines.findIndex((line) => FRAME.test(line))
  const frames = (firstFrame < 0 ? [] : lines.slice(firstFrame)).filter(
    (line) => FRAME.test(line) && !line.includes('node:') && !line.includes(bundlePath) && !line.includes(HELPER_FILENAME),
  )
  // A decorated stack starts with "file:line", the source line and a caret, then a blank line.
  const blank = lines.indexOf('')
  const decorated = blank > 0 && blank < 4 && /:\d+$/.test(lines[0]) && !lines[0].startsWith(ename) && lines[blank + 1]?.startsWith(ename)
  const excerpt = decorated ? lines.slice(0, blank) : []
  return [...frames, ...excerpt]
}
