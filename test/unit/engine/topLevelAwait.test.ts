import vm from 'node:vm'
import { describe, expect, it } from 'vitest'
import { transformTopLevelAwait } from '../../../src-main/engine/topLevelAwait'

/** Runs transformed code the way the engine does, in a fresh global scope; returns that scope. */
async function run(code: string, context = vm.createContext({ f: async () => ({ a: 1, b: [2, 3] }) })) {
  const { hoisted, lets, vars, body, columnOffset } = transformTopLevelAwait(code)
  const declarations = (lets.length ? `let ${lets.join(', ')};` : '') + (vars.length ? `var ${vars.join(', ')};` : '')
  if (declarations) vm.runInContext(declarations, context)
  if (hoisted) vm.runInContext(hoisted, context, { filename: '<execute>' })
  const value = await vm.runInContext(body, context, { filename: '<execute>', columnOffset })
  return { value, context, read: (expr: string) => vm.runInContext(expr, context) }
}

describe('transformTopLevelAwait', () => {
  it('makes top-level var, let and const global bindings', async () => {
    const { read } = await run('var a = await 1; let b = a + 1; const c = b + 1; let d')
    expect(read('[a, b, c, d]')).toEqual([1, 2, 3, undefined])
    // const becomes let (as in Node's REPL); let stays a lexical binding, not a global property.
    expect(read('c = 4; c')).toBe(4)
    expect(read('"a" in globalThis && !("b" in globalThis)')).toBe(true)
  })

  it('hoists plain lexical declarations and turns the code into assignments', () => {
    const { hoisted, lets, vars, body } = transformTopLevelAwait('const x = await 1; let y')
    expect([hoisted, lets, vars]).toEqual(['', ['x', 'y'], []])
    expect(body).toBe('(async () => {void ( (x = await 1)); void ( (y = undefined));\n})()')
  })

  it('binds every name of a destructuring pattern', async () => {
    const { read } = await run('const {a, b: [c, ...rest], z = 9} = await f(); var [p, {q} = {q: 5}] = [1]')
    expect(read('[a, c, rest.length, z, p, q]')).toEqual([1, 2, 1, 9, 1, 5])
  })

  it('declares functions and classes globally, usable from later scripts', async () => {
    const { read } = await run('const v = await 2\nfunction twice() { return 2 * v }\nclass K { get v() { return v } }')
    expect(read('twice()')).toBe(4)
    expect(read('new K().v')).toBe(2)
    expect(read('typeof K')).toBe('function')
  })

  it('calls a function declared later, as a script may', async () => {
    const { value } = await run('await null; later()\nfunction later() { return 7 }')
    expect(value).toBe(7)
  })

  it('leaves declarations in nested blocks and functions alone, except block-level var', async () => {
    const code = 'if (await true) { let inner = 1; var outer = inner; class C {} }\n' + 'function g() { var local = 1; return local }\n' + 'for (let i = 0; i < 2; i++) { var last = i }\nfor (var x of [await 3]) {}'
    const { read } = await run(code)
    expect(read('[outer, last, x, g()]')).toEqual([1, 1, 3, 1])
    expect(read('[typeof inner, typeof C, typeof local, typeof i]')).toEqual(['undefined', 'undefined', 'undefined', 'undefined'])
  })

  it('resolves to the value of the last expression statement', async () => {
    expect((await run('await Promise.resolve(41) + 1')).value).toBe(42)
    expect((await run('let s = await "a"\ns + "b";\nfunction unused() {}')).value).toBe('ab')
    expect((await run('await 1; var none = 2')).value).toBeUndefined()
  })

  it('keeps statements apart where a rewritten declaration ended without a semicolon', async () => {
    const { read, value } = await run('let f1 = () => { return 1 }\n(await 2)\nclass A {}\n(3)\nvar n = 4\nfunction h() {}\n(5)')
    expect(read('[f1(), typeof A, n, h()]')).toEqual([1, 'function', 4, undefined])
    expect(value).toBe(5)
  })

  it('keeps the user line numbers in tracebacks', async () => {
    const thrown = await run('await null\n\nnull.x').then(() => null, (e: Error) => e)
    expect(thrown?.stack).toContain('<execute>:3')
    const { read } = await run('await null\nfunction boom() {\n  throw new Error("no")\n}')
    expect(() => read('boom()')).toThrow('no')
    try {
      read('boom()')
    } catch (err) {
      expect((err as Error).stack).toContain('<execute>:3:9')
    }
  })

  it('throws a SyntaxError for code that does not parse, top-level return included', () => {
    expect(() => transformTopLevelAwait('await 1; let = ;')).toThrow(SyntaxError)
    expect(() => transformTopLevelAwait('await 1; return 2')).toThrow(SyntaxError)
  })
})
