/** Starts real local clusters for integration tests and makes sure nothing outlives a test. */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach } from 'vitest'
import { Cluster } from '../../src-main/cluster/Cluster'
import { connect } from '../../src-main/cluster/connect'
import type { Client } from '../../src-main/core/client/Client'

const running: Cluster[] = []
const clients: Client[] = []
const homes: string[] = []
/** Clients made by connect() so far in this test file (a connected replay checks it ran connected). */
export const connectedClients = { count: 0 }

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()))
  await Promise.all(running.splice(0).map((c) => c.stop()))
  for (const home of homes.splice(0)) rmSync(home, { recursive: true, force: true })
})

/**
 * How the tests' clients reach their cluster: 'in-process' (cluster.start()'s client) or
 * 'connected' (the cluster published under a profile in a fresh CLUSTERDESK_HOME, the client
 * from connect()). Test files that replay a suite connected set CLUSTERDESK_TEST_CLIENT.
 */
export const clientMode = (): 'in-process' | 'connected' => (process.env.CLUSTERDESK_TEST_CLIENT === 'connected' ? 'connected' : 'in-process')

/** A fresh CLUSTERDESK_HOME for this test, removed after it. */
export function freshHome(): string {
  const home = mkdtempSync(join(tmpdir(), 'cdh-'))
  homes.push(home)
  process.env.CLUSTERDESK_HOME = home
  return home
}

/** A client connected to `profile`, closed after the test. */
export async function connectClient(profile = 'default'): Promise<Client> {
  const rc = await connect({ profile })
  clients.push(rc)
  connectedClients.count++
  return rc
}

/** A started local cluster, stopped after the test whatever happens. */
export async function startLocal(
  engines: number,
  extra: Partial<{ cwd: string; env: Record<string, string>; profile: string }> = {},
): Promise<{ cluster: Cluster; rc: Client }> {
  const { profile, ...node } = extra
  const connected = clientMode() === 'connected'
  if ((connected || profile) && homes.length === 0) freshHome()
  const published = profile ?? (connected ? 'default' : undefined)
  const cluster = new Cluster({ nodes: [{ kind: 'local', engines, ...node }], ...(published ? { profile: published } : {}) })
  running.push(cluster)
  const own = await cluster.start()
  const rc = connected ? await connectClient(published) : own
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
