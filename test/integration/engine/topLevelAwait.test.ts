/**
 * Code with top-level await on real engines: its declarations land in the engine's namespace and
 * its last expression is the task's `Out[n]`, as for code without await.
 */
import { describe, expect, it } from 'vitest'
import { RemoteError } from '../../../src-main/core/client/errors'
import { startLocal } from '../../helpers/cluster'

describe('top-level await on real engines', () => {
  it('keeps the declarations of code with top-level await in the namespace', async () => {
    const { rc } = await startLocal(1)
    const e0 = rc.view(0)
    await e0.execute('const r = await Promise.resolve(7); var v = r + 1; function f() { return v } class K {}')
    expect(await e0.pull(['r', 'v'])).toEqual([7, 8])
    expect(await e0.apply(() => (globalThis as any).f())).toBe(8)
    await e0.execute('v = r * 2; const kind = typeof K; const { a, b: [c] } = await Promise.resolve({ a: 1, b: [f()] })')
    expect(await e0.pull(['v', 'kind', 'a', 'c'])).toEqual([14, 'function', 1, 14])
    await e0.push({ v: 100 })
    expect(await e0.apply(() => (globalThis as any).f())).toBe(100)
    // Run again, as one re-runs a cell: no "already declared", the bindings take the new values.
    await e0.execute('const r = await Promise.resolve(9); var v = r + 1; function f() { return v } class K {}')
    expect(await e0.pull(['r', 'v'])).toEqual([9, 10])
    // A name declared by plain code earlier is reused, not declared again.
    await e0.execute('let plain = 1')
    await e0.execute('let plain = await Promise.resolve(2)')
    expect(await e0.pull('plain')).toBe(2)
  })

  it('reports the last expression of code with top-level await as executeResult', async () => {
    const { rc } = await startLocal(1)
    const ar = rc.view(0).execute('await Promise.resolve(41) + 1')
    await ar
    expect(ar.metadata[0].executeResult).toBe('42')
    const fn = rc.view(0).execute('await null; () => 1')
    await fn
    expect(fn.metadata[0].executeResult).toBe('[Function (anonymous)]')
  })

  it('interrupts a busy loop before the first await', async () => {
    const { rc } = await startLocal(1)
    const spin = rc.view(0).execute('let before = 1; while (true) {}\nawait null')
    await new Promise((r) => setTimeout(r, 300))
    await rc.interrupt(0)
    await expect(spin).rejects.toThrow(/Interrupted/)
    expect(await rc.view(0).pull('before')).toBe(1)
  })

  it('reports syntax errors and tracebacks at the user lines', async () => {
    const { rc } = await startLocal(1)
    const bad = await rc.view(0).execute('await null;\nlet x = ;').then(() => null, (e: unknown) => e)
    expect(bad).toBeInstanceOf(RemoteError)
    expect([(bad as RemoteError).ename, (bad as RemoteError).evalue]).toEqual(['SyntaxError', "Unexpected token ';'"])
    expect((bad as RemoteError).traceback).toContain('<execute>:2')
    const thrown = await rc.view(0).execute('await null\n\nnull.x').then(() => null, (e: unknown) => e)
    expect((thrown as RemoteError).traceback).toContain('<execute>:3')
  })
})
