/**
 * The engine's namespace: the engine process's own global scope, where user code runs and
 * pushed values live.
 *
 * Why not a separate `vm` context: on Node 20 every global lookup inside a contextified global
 * goes through an interceptor (~100-200 ns each, measured: a loop calling `Math.imul` runs 200x
 * slower), and values made inside a context are of a foreign realm (`instanceof Float64Array`
 * fails, so results would not serialize as typed arrays, Maps or Sets). The engine process exists
 * only to hold this namespace, its own code lives in the bundle's module scope, and the bundle
 * captures the globals it uses at load time (see scripts/buildAgent.mjs), so sharing the global
 * scope costs nothing and behaves like ipyparallel's engine namespace.
 */
import path from 'node:path'
import { createRequire } from 'node:module'
import vm from 'node:vm'
import type { FunctionSource } from '../core/protocol/messages'
import { transformTopLevelAwait } from './topLevelAwait'

/** Hidden global through which engine code hands values and callees to compiled scripts. */
const SLOT = '__clusterdesk__'
/** Filename of the engine's own helper scripts; tracebacks drop frames from it. */
export const HELPER_FILENAME = '<clusterdesk>'
const INTERRUPTIBLE = { breakOnSigint: true } as const
const MAX_CACHED = 512

const IDENTIFIER = /^[\p{ID_Start}$_][\p{ID_Continue}$\u200C\u200D]*$/u
const RESERVED = new Set(
  ('break case catch class const continue debugger default delete do else enum export extends false finally for ' +
    'function if import in instanceof new null return super switch this throw true try typeof var void while with ' +
    'yield let static implements interface package private protected public await').split(' '),
)

/** Raised for a push/pull name that cannot be a variable. */
export class InvalidNameError extends Error {
  override name = 'InvalidNameError'
}

/** Code compiled for `execute`; `async` when it was wrapped to allow top-level await. */
interface CompiledCode {
  /** The function declarations of code with top-level await; runs before `script`. */
  hoisted: vm.Script | null
  /** Global names that code with top-level await declares (see topLevelAwait.ts). */
  lets: string[]
  vars: string[]
  script: vm.Script
  async: boolean
}

interface Slot {
  value: unknown
  thunk: (() => unknown) | null
}

export class Namespace {
  readonly require: NodeJS.Require
  private readonly slot: Slot = { value: undefined, thunk: null }
  private readonly callScript = new vm.Script(`${SLOT}.thunk()`, { filename: HELPER_FILENAME })
  private readonly executeCache = new Map<string, CompiledCode>()
  private readonly assignScripts = new Map<string, vm.Script>()
  private readonly readScripts = new Map<string, vm.Script>()
  /** Revived functions by name, then source: a map of 10,000 calls compiles its function once. */
  private readonly functions = new Map<string, Map<string, Function>>()

  constructor(cwd: string) {
    Object.defineProperty(globalThis, SLOT, { value: this.slot, enumerable: false, writable: false, configurable: false })
    const filename = path.join(cwd, '<engine>.js')
    this.require = createRequire(filename)
    const module = { id: '<engine>', filename, path: cwd, exports: {}, require: this.require, loaded: true }
    for (const [name, value] of Object.entries({ require: this.require, module, exports: module.exports })) {
      Object.defineProperty(globalThis, name, { value, writable: true, configurable: true, enumerable: false })
    }
  }

  /** Runs engine code that calls user code so that SIGINT can stop a busy loop in it. */
  interruptible<T>(thunk: () => T): T {
    this.slot.thunk = thunk
    try {
      return this.callScript.runInThisContext(INTERRUPTIBLE) as T
    } finally {
      this.slot.thunk = null
    }
  }

  /**
   * Runs `code` as a script. Returns its completion value, or for code with top-level `await`
   * (run as an async function) the promise of its end, flagged by `async`.
   */
  execute(code: string): { value: unknown; async: boolean } {
    let compiled = this.executeCache.get(code)
    if (compiled === undefined) {
      compiled = compile(code)
      remember(this.executeCache, code, compiled)
    }
    if (compiled.async) this.declare(compiled)
    return { value: compiled.script.runInThisContext(INTERRUPTIBLE), async: compiled.async }
  }

  /** Declares the globals of code with top-level await that no earlier code declared. */
  private declare(compiled: CompiledCode): void {
    const lets = compiled.lets.filter((name) => !this.declared(name))
    const vars = compiled.vars.filter((name) => !this.declared(name))
    const declarations = (lets.length ? `let ${lets.join(', ')};` : '') + (vars.length ? `var ${vars.join(', ')};` : '')
    if (declarations) new vm.Script(declarations, { filename: HELPER_FILENAME }).runInThisContext()
    compiled.hoisted?.runInThisContext()
  }

  /** Whether `name` is a binding of the global scope (a `let` still in its dead zone counts). */
  private declared(name: string): boolean {
    try {
      this.read(name)
      return true
    } catch (err) {
      return !(err instanceof ReferenceError) || !/is not defined/.test(err.message)
    }
  }

  /** `name = value`, so it also works when `name` is a top-level `let` of an earlier execute. */
  assign(name: string, value: unknown): void {
    let script = this.assignScripts.get(name)
    if (script === undefined) {
      script = new vm.Script(`${checkName(name)} = ${SLOT}.value`, { filename: HELPER_FILENAME })
      remember(this.assignScripts, name, script)
    }
    this.slot.value = value
    try {
      script.runInThisContext()
    } finally {
      this.slot.value = undefined
    }
  }

  /** Evaluates `name`: finds `let`/`const`/`function` too; a missing one is a ReferenceError. */
  read(name: string): unknown {
    let script = this.readScripts.get(name)
    if (script === undefined) {
      script = new vm.Script(checkName(name), { filename: HELPER_FILENAME })
      remember(this.readScripts, name, script)
    }
    return script.runInThisContext()
  }

  /**
   * Re-creates a function from its source in this namespace, so its free names resolve here.
   * Never throws (it runs inside frame decoding): a source that does not compile becomes a
   * function that throws the compile error when the task calls it.
   */
  revive(fn: FunctionSource): unknown {
    let bySource = this.functions.get(fn.name)
    let revived = bySource?.get(fn.source)
    if (revived !== undefined) return revived
    try {
      revived = compileFunction(fn)
    } catch (err) {
      return function notCompiled() {
        throw err
      }
    }
    if (bySource === undefined) {
      if (this.functions.size >= MAX_CACHED) this.functions.clear()
      bySource = new Map()
      this.functions.set(fn.name, bySource)
    }
    remember(bySource, fn.source, revived)
    return revived
  }
}

function compile(code: string): CompiledCode {
  try {
    return { hoisted: null, lets: [], vars: [], script: new vm.Script(code, { filename: '<execute>' }), async: false }
  } catch (err) {
    // Top-level await is only valid in modules; run such code as the body of an async function,
    // rewritten so that its declarations still become globals (see topLevelAwait.ts).
    if (err instanceof SyntaxError && /\bawait\b/.test(code)) return compileAsync(code, err)
    throw err
  }
}

function compileAsync(code: string, scriptError: SyntaxError): CompiledCode {
  let transformed: ReturnType<typeof transformTopLevelAwait>
  try {
    transformed = transformTopLevelAwait(code)
  } catch {
    // Let V8 name the real mistake (`await null; 1 +`: "Unexpected end of input", at the user's
    // line, as the wrapper opens on line 1) rather than the await that made the script fail.
    try {
      new vm.Script(`(async () => {${code}\n})()`, { filename: '<execute>' })
    } catch (err) {
      throw err instanceof SyntaxError ? err : scriptError
    }
    throw scriptError
  }
  try {
    const { hoisted, lets, vars, body, columnOffset } = transformed
    return {
      hoisted: hoisted ? new vm.Script(hoisted, { filename: '<execute>' }) : null,
      lets,
      vars,
      script: new vm.Script(body, { filename: '<execute>', columnOffset }),
      async: true,
    }
  } catch {
    // Syntax acorn accepts and V8 does not: the script's own error says more than the rewrite's.
    throw scriptError
  }
}

function compileFunction(fn: FunctionSource): Function {
  const filename = `fn:${fn.name || 'anonymous'}`
  let value: unknown
  try {
    value = vm.runInThisContext(`(${fn.source}\n)`, { filename })
  } catch (err) {
    // Method shorthand (`foo(x) { ... }`) is only valid inside an object literal.
    if (!(err instanceof SyntaxError) || !fn.name) throw err
    try {
      value = vm.runInThisContext(`({${fn.source}\n})[${JSON.stringify(fn.name)}]`, { filename })
    } catch {
      throw err
    }
  }
  if (typeof value !== 'function') throw new TypeError(`the source sent as function ${fn.name || '(anonymous)'} is not a function`)
  return value
}

/** Returns `name` if it can be a variable; throws `InvalidNameError` otherwise. */
export function checkName(name: unknown): string {
  if (typeof name !== 'string' || !IDENTIFIER.test(name) || RESERVED.has(name)) {
    throw new InvalidNameError(`${JSON.stringify(name)} is not a valid JavaScript variable name`)
  }
  return name
}

function remember<K, V>(cache: Map<K, V>, key: K, value: V): void {
  if (cache.size >= MAX_CACHED) cache.clear()
  cache.set(key, value)
}
