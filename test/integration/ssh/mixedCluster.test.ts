/** A cluster of a local node and an SSH node over loopback gives the local-only π hits in every mode. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Cluster } from '../../../src-main/cluster/Cluster'
import { PI_MODES, runPi } from '../../../src-main/experiments/pi/runPi'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startSshd, type Sshd } from '../../helpers/sshd'

const RUN = { samples: 2e6, tasks: 16, seed: 42 } as const
let sshd: Sshd
let dir: string

beforeAll(async () => {
  sshd = await startSshd()
  dir = mkdtempSync(join(tmpdir(), 'cd-mixed-'))
  writeFileSync(join(dir, 'known_hosts'), `${sshd.knownHostsLine}\n`)
})
afterAll(async () => {
  await sshd?.stop()
  rmSync(dir, { recursive: true, force: true })
})

async function hitsPerMode(cluster: Cluster): Promise<Record<string, number>> {
  const hits: Record<string, number> = {}
  try {
    const rc = await cluster.start()
    for (const mode of PI_MODES) hits[mode] = (await runPi(rc, { ...RUN, mode })).hits
  } finally {
    await cluster.stop()
  }
  return hits
}

describe('local + SSH cluster', () => {
  it('runs every π mode with the hits of a local-only run', async () => {
    const local = await hitsPerMode(new Cluster({ nodes: [{ kind: 'local', engines: 3 }] }))
    const cluster = new Cluster({
      nodes: [
        { kind: 'local', engines: 1 },
        { kind: 'ssh', host: sshd.host, port: sshd.port, user: 'root', identityFile: sshd.userKey, knownHostsFile: join(dir, 'known_hosts'), nodePath: process.execPath, engines: 2 },
      ],
    })
    const mixed = await hitsPerMode(cluster)
    expect(Object.keys(mixed)).toEqual([...PI_MODES])
    // lb-apply computes one engine's share by design; the others cover every chunk.
    const full = new Set(PI_MODES.filter((m) => m !== 'lb-apply').map((m) => local[m]))
    expect(full.size).toBe(1)
    expect(mixed).toEqual(local)
  })
})
