/** The malloc tunables engines start with: added on Linux, never over the user's own choices. */
import { describe, expect, it } from 'vitest'
import { USER_TUNABLES_ENV, restoreUserTunables, withEngineMalloc } from '../../../src-main/engine/mallocTunables'

const TRIM = `glibc.malloc.trim_threshold=${128 * 2 ** 20}`

describe('withEngineMalloc', () => {
  it('adds huge pages, heap-only large blocks and a kept heap top on Linux', () => {
    expect(withEngineMalloc({ PATH: '/bin' }, 'linux')).toEqual({ PATH: '/bin', GLIBC_TUNABLES: `glibc.malloc.hugetlb=1:glibc.malloc.mmap_max=0:${TRIM}`, [USER_TUNABLES_ENV]: '' })
  })

  it('keeps the tunables the user set and adds only the others', () => {
    const env = { GLIBC_TUNABLES: 'glibc.malloc.hugetlb=0:glibc.malloc.trim_threshold=4096:glibc.rtld.optional_static_tls=1' }
    expect(withEngineMalloc(env, 'linux').GLIBC_TUNABLES).toBe(`${env.GLIBC_TUNABLES}:glibc.malloc.mmap_max=0`)
    expect(env.GLIBC_TUNABLES).not.toContain('mmap_max')
  })

  it('leaves the environment alone off Linux, and when the user set every one', () => {
    const env = { GLIBC_TUNABLES: 'glibc.malloc.hugetlb=1' }
    expect(withEngineMalloc(env, 'darwin')).toBe(env)
    const all = { GLIBC_TUNABLES: `glibc.malloc.mmap_max=1:glibc.malloc.hugetlb=2:${TRIM}` }
    expect(withEngineMalloc(all, 'linux')).toBe(all)
  })

  it("gives the engine's environment back the user's own value, or none", () => {
    const none = withEngineMalloc({ PATH: '/bin' }, 'linux')
    restoreUserTunables(none)
    expect(none).toEqual({ PATH: '/bin' })
    const own = withEngineMalloc({ GLIBC_TUNABLES: 'glibc.malloc.hugetlb=0' }, 'linux')
    expect(own.GLIBC_TUNABLES).not.toBe('glibc.malloc.hugetlb=0')
    restoreUserTunables(own)
    expect(own).toEqual({ GLIBC_TUNABLES: 'glibc.malloc.hugetlb=0' })
    const untouched = { GLIBC_TUNABLES: 'x=1' }
    restoreUserTunables(untouched)
    expect(untouched).toEqual({ GLIBC_TUNABLES: 'x=1' })
  })
})
