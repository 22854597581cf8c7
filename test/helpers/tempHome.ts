/**
 * Fresh homes for each test: HOME (so ~/.ssh/known_hosts and ~/.ssh/config are empty temp paths)
 * and CLUSTERDESK_HOME (the trust store, data and profiles), restored and removed after each test.
 * Child processes spawned with `process.env` inherit both. No test reads the developer's stores.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach } from 'vitest'

export interface TempHome {
  /** The test's HOME (with an empty `.ssh` folder). */
  readonly user: string
  /** The test's CLUSTERDESK_HOME (not created: clusterdesk creates it on first use). */
  readonly clusterdesk: string
  /** ~/.ssh/known_hosts under that HOME (not created). */
  readonly userKnownHosts: string
}

/** Call at the top of a test file (or describe): every test then runs with its own HOME and CLUSTERDESK_HOME. */
export function useTempHomes(): TempHome {
  let dir = ''
  const saved = { HOME: process.env.HOME, CLUSTERDESK_HOME: process.env.CLUSTERDESK_HOME }
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'cd-home-'))
    mkdirSync(join(dir, 'user', '.ssh'), { recursive: true, mode: 0o700 })
    process.env.HOME = join(dir, 'user')
    process.env.CLUSTERDESK_HOME = join(dir, 'clusterdesk')
  })
  afterEach(() => {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name]
      else process.env[name] = value
    }
    rmSync(dir, { recursive: true, force: true })
  })
  return {
    get user() {
      return join(dir, 'user')
    },
    get clusterdesk() {
      return join(dir, 'clusterdesk')
    },
    get userKnownHosts() {
      return join(dir, 'user', '.ssh', 'known_hosts')
    },
  }
}
