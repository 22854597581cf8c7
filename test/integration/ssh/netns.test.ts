/**
 * A second host in a network namespace with its own address and sshd: an address that is down,
 * and the link cut mid-run — lost engines reported, load-balanced work finished locally, and no
 * agent or engine left in the namespace once the link is back.
 */
import { readFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Cluster, type LauncherFactory } from '../../../src-main/cluster/Cluster'
import { LocalLauncher } from '../../../src-main/nodes/LocalLauncher'
import { agentBundle, SshError, SshLauncher } from '../../../src-main/nodes/ssh'
import { createNetns, netnsUnavailable, startSshd, type Netns, type Sshd } from '../../helpers/sshd'

const why = netnsUnavailable()
if (why && process.env.CI) throw new Error(`CI must run the network namespace tests: ${why}`)
if (why) console.warn(`skipping the network namespace SSH tests: ${why}`)

let ns: Netns
let sshd: Sshd
let dir: string

beforeAll(async () => {
  if (why) return
  ns = createNetns(1)
  sshd = await startSshd({ netns: ns.name, address: ns.address, port: 2222 })
  dir = mkdtempSync(join(tmpdir(), 'cd-netns-'))
  writeFileSync(join(dir, 'known_hosts'), `${sshd.knownHostsLine}\n`)
})
afterAll(async () => {
  await sshd?.stop()
  ns?.remove()
  if (dir) rmSync(dir, { recursive: true, force: true })
})

const agentsInNamespace = (): number[] =>
  ns.pids().filter((pid) => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(agentBundle().fileName)
    } catch {
      return false
    }
  })

describe.skipIf(why !== null)('SSH host in a network namespace', () => {
  it('reports an address that is down as unreachable', async () => {
    ns.setLink(false)
    try {
      const err = await new SshLauncher({ host: ns.address, port: 2222, user: 'root', identityFile: sshd.userKey, knownHostsFile: join(dir, 'known_hosts'), readyTimeoutMs: 4000 })
        .launch()
        .catch((e: unknown) => e)
      expect(err).toBeInstanceOf(SshError)
      expect((err as SshError).level).toBe('client-timeout')
    } finally {
      ns.setLink(true)
    }
  })

  it('survives the link cut mid-run: engines lost, load-balanced work finished locally, nothing left behind', async () => {
    const factory: LauncherFactory = (spec) =>
      spec.kind !== 'ssh'
        ? new LocalLauncher({})
        : new SshLauncher({ ...spec, heartbeatTimeoutMs: 2500, keepaliveIntervalMs: 1000 })
    const cluster = new Cluster(
      {
        heartbeatMs: 300,
        nodes: [
          { kind: 'local', engines: 2 },
          { kind: 'ssh', host: ns.address, port: 2222, user: 'root', identityFile: sshd.userKey, knownHostsFile: join(dir, 'known_hosts'), nodePath: process.execPath, engines: 2 },
        ],
      },
      factory,
    )
    try {
      const rc = await cluster.start()
      expect(rc.ids).toEqual([0, 1, 2, 3])
      expect(agentsInNamespace().length).toBeGreaterThanOrEqual(3)
      const lost: string[] = []
      rc.subscribe({ onNodeEvent: (node, message) => lost.push(`${node}: ${message}`) })
      const slow = (i: number): Promise<number> => new Promise((r) => setTimeout(() => r(i * i), 200))
      const items = Array.from({ length: 40 }, (_, i) => i)
      const run = rc.loadBalancedView(undefined, { retries: 3 }).map(slow, items, { chunkSize: 1 })
      await new Promise((r) => setTimeout(r, 600))
      ns.setLink(false)
      expect(await run).toEqual(items.map((i) => i * i))
      await expect.poll(() => lost.join('\n'), { timeout: 10000 }).toMatch(/ssh:\/\/root@.*lost/)
      // Lost for what happened to the link (heartbeats or SSH keepalives), not as an exit.
      expect(lost.join('\n')).toMatch(/lost: (no heartbeat answer|connection failed: no answer from .* to SSH keepalives)/)
      const dead = rc.engines.filter((e) => e.state === 'dead').map((e) => e.id)
      expect(dead).toEqual([2, 3])
      // The agent misses its heartbeats and exits with its engines, while the link is still down.
      await new Promise((r) => setTimeout(r, 4000))
      ns.setLink(true)
      await expect.poll(agentsInNamespace, { timeout: 10000 }).toEqual([])
    } finally {
      ns.setLink(true)
      await cluster.stop()
    }
  }, 60000)
})
