/** shellQuote: whatever a user types comes back from a real shell as one unchanged word, never run. */
import { execFileSync } from 'node:child_process'
import { describe, expect, it } from 'vitest'
import { shellCommand, shellQuote } from '../../../src-main/nodes/ssh/shellQuote'

const NASTY = [
  'plain',
  'with space',
  "it's",
  '"double"',
  '$(touch /tmp/cd-pwned)',
  '`touch /tmp/cd-pwned`',
  'a; touch /tmp/cd-pwned',
  'line\nbreak',
  '$HOME ${HOME} \\ * ? [a] ~ & | < > # !',
  "it's a $(dir); x",
  '',
  '-n',
]

describe('shellQuote', () => {
  it.each(NASTY)('round-trips %j through sh as one argument', (value) => {
    const out = execFileSync('sh', ['-c', `printf '%s\\0' ${shellQuote(value)}`], { encoding: 'utf8' })
    expect(out).toBe(`${value}\0`)
  })

  it('keeps plain words readable and quotes the rest', () => {
    expect(shellQuote('/usr/bin/node')).toBe('/usr/bin/node')
    expect(shellQuote('a b')).toBe("'a b'")
    expect(shellQuote("it's")).toBe("'it'\\''s'")
    expect(shellQuote('')).toBe("''")
  })

  it('builds a command line of separate words', () => {
    const out = execFileSync('sh', ['-c', `printf '[%s]' ${shellCommand(NASTY)}`], { encoding: 'utf8' })
    expect(out).toBe(NASTY.map((v) => `[${v}]`).join(''))
  })

  it('rejects a NUL byte, which no shell argument can hold', () => {
    expect(() => shellQuote('a\0b')).toThrow(/NUL/)
  })
})
