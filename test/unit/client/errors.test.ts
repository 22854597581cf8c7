import { describe, expect, it } from 'vitest'
import { CompositeError, RemoteError } from '../../../src-main/core/client/errors'
import { moduleBindings, moduleGlobalName } from '../../../src-main/core/client/moduleNames'

describe('RemoteError', () => {
  it('prints like ipyparallel', () => {
    const e = RemoteError.fromWire(0, 'execute', { ename: 'ReferenceError', evalue: 'T_T is not defined', traceback: 'ReferenceError: T_T is not defined\n    at <execute>:1:1' })
    expect(String(e)).toBe('[0:execute] ReferenceError: T_T is not defined')
    expect(e.stack).toContain('(engine 0) at <execute>:1:1')
    expect(e).toBeInstanceOf(Error)
  })

  it('keeps the traceback as one string, like Error.stack, in JSON too', () => {
    const traceback = 'ReferenceError: T_T is not defined\n    at <execute>:1:1'
    const e = new RemoteError(0, 'execute', 'ReferenceError', 'T_T is not defined', traceback)
    expect(e.traceback).toBe(traceback)
    expect(JSON.parse(JSON.stringify(e))).toEqual({ engineId: 0, method: 'execute', ename: 'ReferenceError', evalue: 'T_T is not defined', traceback })
    // Without frames it is still the header line, as Error.stack would be.
    expect(new RemoteError(1, 'apply', 'TaskAborted', 'dropped').traceback).toBe('TaskAborted: dropped')
  })
})

describe('CompositeError', () => {
  const errs = Array.from({ length: 8 }, (_, i) => new RemoteError(i, 'execute', 'ReferenceError', 'T_T is not defined'))

  it('lists the first four and counts the rest', () => {
    const c = new CompositeError(errs, 'execute')
    const lines = c.message.split('\n')
    expect(lines[0]).toBe('one or more exceptions from call to method: execute')
    expect(lines[1]).toBe('[0:execute]: ReferenceError: T_T is not defined')
    expect(lines).toHaveLength(6)
    expect(lines[5]).toBe('.... 4 more exceptions ...')
    expect(c.errors).toHaveLength(8)
  })

  it('lists all of four or fewer', () => {
    const c = new CompositeError(errs.slice(0, 3), 'apply')
    expect(c.message).not.toMatch(/\d+ more exceptions/)
    expect(c.message.split('\n')).toHaveLength(4)
  })
})

describe('module global names', () => {
  it('follows the require naming rules', () => {
    expect(moduleGlobalName('node:os')).toBe('os')
    expect(moduleGlobalName('lodash')).toBe('lodash')
    expect(moduleGlobalName('@scope/some-pkg')).toBe('somePkg')
    expect(moduleGlobalName('node:fs/promises')).toBe('promises')
    expect(moduleBindings(['node:os', { _: 'lodash' }])).toEqual({ os: 'node:os', _: 'lodash' })
    expect(() => moduleBindings([{ 'bad-name': 'x' }])).toThrow(/not a valid global name/)
  })
})
