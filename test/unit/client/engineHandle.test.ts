import { describe, expect, it } from 'vitest'
import { EngineHandle, type EngineHost } from '../../../src-main/core/client/EngineHandle'
import { EngineError } from '../../../src-main/core/client/errors'

const host: EngineHost = { label: 'local', host: 'vm', send: () => {}, signal: () => {} }
const NATIVE = Array.from({ length: 20 }, (_, i) => ` ${i + 1}: 0x10e91f1 v8::internal::Heap::CollectGarbage() [node]`).join('\n')

describe('EngineHandle.deathError', () => {
  it('says out of memory with the heap limit and the option, not the native stack', () => {
    const handle = new EngineHandle(3, host)
    handle.registered(1234, 112)
    handle.died({ code: null, signal: 'SIGABRT', stderrTail: NATIVE, reason: 'the engine process exited', fatal: 'FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory' })
    const err = handle.deathError('apply')
    expect(err).toBeInstanceOf(EngineError)
    expect(err.signal).toBe('SIGABRT')
    expect(err.evalue).toBe(
      "engine 3 on local died: out of memory (heap limit 112 MB); raise the limit with the node's maxHeapMB option " +
        "(e.g. { kind: 'local', maxHeapMB: 8192 }, passed to the engines as --max-old-space-size), or keep less data on each engine",
    )
  })

  it('knows it from the tail alone, and says when the limit is unknown', () => {
    const handle = new EngineHandle(0, host)
    handle.died({ code: 134, signal: null, stderrTail: `# Fatal process out of memory: Zone\n${NATIVE}`, reason: 'the engine process exited' })
    expect(handle.deathError('start').evalue).toMatch(/^engine 0 on local died: out of memory \(heap limit unknown\); raise the limit/)
  })

  it('keeps the last output for other crashes', () => {
    const handle = new EngineHandle(1, host)
    handle.registered(1, 4144)
    handle.died({ code: 3, signal: null, stderrTail: 'a\nb\nc\nd\n', reason: 'the engine process exited' })
    expect(handle.deathError('apply').evalue).toBe('engine 1 on local died (exit code 3): the engine process exited — last output: b | c | d')
  })
})

describe('EngineHandle liveness', () => {
  it('is unresponsive at once when reported silent before its registration was handled', () => {
    const handle = new EngineHandle(0, host)
    expect(handle.unresponsive()).toEqual([])
    expect(handle.state).toBe('starting')
    handle.registered(1, 100)
    expect(handle.state).toBe('unresponsive')
    expect(handle.responsive).toBe(false)
    handle.responding()
    expect(handle.state).toBe('idle')
  })
})
