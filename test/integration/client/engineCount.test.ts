/**
 * How many engines a node takes: counts the machine cannot hold are refused before any engine
 * starts (library and CLI), and a few dozen start in batches while the agent keeps answering.
 */
import { spawn } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'
import { Cluster } from '../../../src-main/cluster/Cluster'
import { ClusterConfigError } from '../../../src-main/cluster/options'
import { waitGone } from '../../helpers/cluster'

const root = fileURLToPath(new URL('../../..', import.meta.url))
const clusters: Cluster[] = []
afterEach(async () => {
  await Promise.all(clusters.splice(0).map((c) => c.stop()))
})

/** Every process below `pid`, from /proc. */
function descendants(pid: number): number[] {
  const parents = new Map<number, number>()
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8')
      parents.set(Number(entry), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]))
    } catch {
      // Ended while we looked.
    }
  }
  const found: number[] = []
  const walk = (p: number): void => {
    for (const [child, parent] of parents) if (parent === p) found.push(child), walk(child)
  }
  walk(pid)
  return found
}

const REFUSAL = /^local: 100000 engines is more than this node can hold: (\d+\.\d GiB of memory is available, enough for \d+ engines at 50 MB each|the node agent may open \d+ files \(ulimit -n\), enough for \d+ engines at 4 each); start at most \d+ there, or spread them over more nodes$/

describe('engine counts', () => {
  it('refuses a count the machine cannot hold with a ClusterConfigError, leaving nothing running', async () => {
    const before = new Set(descendants(process.pid))
    const cluster = new Cluster({ nodes: [{ kind: 'local', engines: 100000 }] })
    clusters.push(cluster)
    const err = await cluster.start().then(() => null, (e: unknown) => e)
    expect(err).toBeInstanceOf(ClusterConfigError)
    expect((err as Error).message).toMatch(REFUSAL)
    expect(cluster.nodes).toEqual([])
    const left = descendants(process.pid).filter((p) => !before.has(p))
    expect(await waitGone(left)).toEqual([])
  })

  it('refuses more engines on a running node past what it holds, counting the running ones', async () => {
    const cluster = new Cluster({ nodes: [{ kind: 'local', engines: 1 }] })
    clusters.push(cluster)
    const rc = await cluster.start()
    const err = await cluster.addEngines('local', 100000).then(() => null, (e: unknown) => e)
    expect(err).toBeInstanceOf(ClusterConfigError)
    expect((err as Error).message).toMatch(/^local: 100000 more engines \(with the 1 running\) is more than this node can hold: .*; start at most \d+ more there/)
    expect(rc.ids).toEqual([0])
    expect(await rc.view(0).apply(() => 'alive')).toBe('alive')
  })

  it('CLI: --engines 100000 exits 2 with the reason on one line', async () => {
    const child = spawn(process.execPath, [join(root, 'dist/cli.js'), 'pi', '--engines', '100000', '--samples', '1000', '--tasks', '1'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] })
    let stderr = ''
    child.stderr.on('data', (d: Buffer) => (stderr += d))
    const code = await new Promise<number | null>((resolve) => child.once('close', resolve))
    expect(code).toBe(2)
    const line = stderr.trim().split('\n').at(-1)!
    expect(line.replace(/^clusterdesk: error: /, '')).toMatch(REFUSAL)
  })

  it('starts 64 engines on one node; all register and answer', async () => {
    // Other work shares these cores: a generous start timeout, so that only a real failure fails.
    const cluster = new Cluster({ nodes: [{ kind: 'local', engines: 64 }], startTimeout: 180_000 })
    clusters.push(cluster)
    const rc = await cluster.start()
    expect(rc.ids).toEqual(Array.from({ length: 64 }, (_, i) => i))
    const pids = await rc.view().apply(() => process.pid)
    expect(new Set(pids).size).toBe(64)
    await cluster.stop()
    expect(await waitGone(pids as number[], 10_000)).toEqual([])
  }, 240_000)
})
