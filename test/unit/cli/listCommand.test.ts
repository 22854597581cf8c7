import { describe, expect, it } from 'vitest'
import { formatProfiles, formatUptime } from '../../../src-main/cli/listCommand'

describe('formatUptime', () => {
  it.each([
    [0, '0s'],
    [42.9, '42s'],
    [60, '1m 00s'],
    [725, '12m 05s'],
    [3 * 3600 + 4 * 60 + 59, '3h 04m'],
    [2 * 86400 + 5 * 3600, '2d 05h'],
    [-3, '0s'],
  ])('%d s is %s', (seconds, text) => expect(formatUptime(seconds)).toBe(text))
})

describe('formatProfiles', () => {
  it('pads every column to its widest cell and shows a stale profile as removed', () => {
    const table = formatProfiles([
      { profile: 'default', state: 'running', pid: 123, engines: 4, clients: 1, uptimeS: 75, file: '/x' },
      { profile: 'lab', state: 'stale', pid: 98765, engines: 0, clients: 0, uptimeS: 0, file: '/y' },
    ])
    expect(table.split('\n')).toEqual([
      'PROFILE  STATE            PID    ENGINES  CLIENTS  UPTIME',
      'default  running          123    4        1        1m 15s',
      'lab      stale (removed)  98765  -        -        -',
    ])
  })
})
