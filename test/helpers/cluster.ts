/** Starts real local clusters for integration tests and makes sure nothing outlives a test. */
import { readFileSync } from 'node:fs'
import { afterEach } from 'vitest'
import { Cluster } from '../../src-main/cluster/Cluster'
import type { Client } from '../../src-main/core/client/Client'

const running: Cluster[] = []

afterEach(async () => {
  await Promise.all(running.splice(0).map((c) => c.stop()))
})

/** A started local cluster, stopped after the test whatever happens. */
export async function startLocal(engines: number, extra: Partial<{ cwd: string; env: Record<string, string> }> = {}): Promise<{ cluster: Cluster; rc: Client }> {
  const cluster = new Cluster({ nodes: [{ kind: 'local', engines, ...extra }] })
  running.push(cluster)
  const rc = await cluster.start()
  return { cluster, rc }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

/** Waits until none of `pids` is running (zombies count as gone); returns those still alive. */
export async function waitGone(pids: number[], timeoutMs = 5000): Promise<number[]> {
  const deadline = Date.now() + timeoutMs
  let alive = pids.filter(isRunning)
  while (alive.length && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50))
    alive = alive.filter(isRunning)
  }
  return alive
}

/** Running and not a zombie (a zombie has exited; its parent just has not reaped it yet). */
function isRunning(pid: number): boolean {
  if (!isAlive(pid)) return false
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8') as string
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z'
  } catch {
    return false
  }
}

/** Pids of every engine process of a client. */
export const enginePids = (rc: Client): number[] => rc.engines.map((e) => e.pid).filter((p): p is number => p !== null)
