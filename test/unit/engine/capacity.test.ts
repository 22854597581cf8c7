import { describe, expect, it } from 'vitest'
import { ENGINE_MEMORY_BYTES, engineCapacity } from '../../../src-main/engine/capacity'

describe('engineCapacity', () => {
  it('counts engines by available memory, saying so', () => {
    const c = engineCapacity(100 * ENGINE_MEMORY_BYTES + 1, 100000)
    expect(c.engines).toBe(100)
    expect(c.why).toMatch(/^4\.9 GiB of memory is available, enough for 100 engines at 50 MB each$/)
  })

  it('counts by open files when those run out first', () => {
    const c = engineCapacity(1000 * ENGINE_MEMORY_BYTES, 1024)
    expect(c.engines).toBe(240)
    expect(c.why).toBe('the node agent may open 1024 files (ulimit -n), enough for 240 engines at 4 each')
  })

  it('always allows one engine, and ignores an unknown file limit', () => {
    expect(engineCapacity(0, 10).engines).toBe(1)
    expect(engineCapacity(3 * ENGINE_MEMORY_BYTES, null).engines).toBe(3)
  })
})
