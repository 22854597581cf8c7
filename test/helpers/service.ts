/** Temp data directories and ClusterServices for tests, always cleaned up after each test. */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach } from 'vitest'
import type { ServiceEvent } from '../../src-main/service/api'
import { ClusterService, type ClusterServiceOptions } from '../../src-main/service/ClusterService'

const cleanups: Array<() => unknown> = []

afterEach(async () => {
  // Last registered first: services close before their data directory is removed.
  for (const cleanup of cleanups.splice(0).reverse()) {
    try {
      await cleanup()
    } catch {
      // keep cleaning up the rest
    }
  }
})

/** Runs `cleanup` after the current test, whatever happens. */
export function onCleanup(cleanup: () => unknown): void {
  cleanups.push(cleanup)
}

/** A fresh directory, removed after the test. */
export function tempDir(prefix = 'clusterdesk-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  onCleanup(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

/**
 * A service on `dataDir`, closed (engines stopped) after the test. Not published under a profile
 * unless `options.profile` asks (tests that publish set a fresh CLUSTERDESK_HOME).
 */
export function openService(dataDir: string, options: Partial<ClusterServiceOptions> = {}): ClusterService {
  const service = new ClusterService({ dataDir, profile: null, ...options })
  onCleanup(() => service.close())
  return service
}

/** Every event batch the service sends from now on. */
export function recordEvents(service: { onEvents(l: (b: ServiceEvent[]) => void): () => void }): { batches: ServiceEvent[][]; events: ServiceEvent[] } {
  const log = { batches: [] as ServiceEvent[][], events: [] as ServiceEvent[] }
  const stop = service.onEvents((batch) => {
    log.batches.push(batch)
    log.events.push(...batch)
  })
  onCleanup(stop)
  return log
}

/** Polls `check` until it returns something truthy; fails with `what` after `timeoutMs`. */
export async function waitFor<T>(check: () => T | Promise<T>, what: string, timeoutMs = 15_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await check()
    if (value) return value as NonNullable<T>
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 25))
  }
}
