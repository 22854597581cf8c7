/** Argument checks shared by the views: each says what was wrong and what to pass instead. */
import { toRemoteFunction, type RemoteFunction } from '../protocol/codec'
import type { FunctionSource } from '../protocol/messages'
import { UsageError } from './errors'
import { describe, isTypedArray, type Sequence } from './partition'

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/

export function checkName(name: unknown, method: string): string {
  if (typeof name !== 'string' || !IDENTIFIER.test(name)) {
    throw new UsageError(`${method}: ${JSON.stringify(name)} is not a valid variable name (letters, digits, _ and $, not starting with a digit)`)
  }
  return name
}

export function checkNamespace(ns: unknown, method: string): Record<string, unknown> {
  if (ns === null || typeof ns !== 'object' || Array.isArray(ns)) {
    throw new UsageError(`${method} takes an object of names to values, e.g. { a: 1, f: myFunction }; got ${describe(ns)}`)
  }
  for (const key of Object.keys(ns)) checkName(key, method)
  return ns as Record<string, unknown>
}

export function checkCode(code: unknown): string {
  if (typeof code !== 'string') throw new UsageError(`execute takes a string of JavaScript code; got ${describe(code)}`)
  return code
}

/** Sources already taken, so a loop of 10,000 applies of one function reads it once. */
const sources = new WeakMap<Function, FunctionSource>()
/**
 * The same, by source text: a loop of applies of an arrow written in the call (a new function
 * object each time, with the same source) gets one FunctionSource, without a WeakMap entry per
 * call. Emptied when it grows past SOURCES_BY_TEXT (functions made from generated code).
 */
const sourcesByText = new Map<string, FunctionSource>()
const SOURCES_BY_TEXT = 1000

/** A function to run remotely, as source; native functions are refused with advice. */
export function functionSource(fn: unknown, method: string): FunctionSource {
  if (typeof fn !== 'function') throw new UsageError(`${method} takes a function first; got ${describe(fn)}`)
  let source = sources.get(fn)
  if (source) return source
  const text = Function.prototype.toString.call(fn)
  source = sourcesByText.get(text)
  // The source of a native or bound function is refused below, so it is never found here.
  if (source && source.name === fn.name) return source
  const remote: RemoteFunction = toRemoteFunction(fn)
  source = { source: remote.source, name: remote.name }
  sources.set(fn, source)
  if (sourcesByText.size >= SOURCES_BY_TEXT) sourcesByText.clear()
  sourcesByText.set(text, source)
  return source
}

export function checkSequence(seq: unknown, method: string): Sequence {
  const ok = Array.isArray(seq) || isTypedArray(seq) || (seq != null && typeof seq !== 'string' && typeof (seq as Iterable<unknown>)[Symbol.iterator] === 'function')
  if (!ok) throw new UsageError(`${method} takes arrays (or typed arrays, or iterables) to map over; got ${describe(seq)}`)
  return (Array.isArray(seq) || isTypedArray(seq) ? seq : Array.from(seq as Iterable<unknown>)) as Sequence
}
