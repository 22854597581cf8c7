/** A connected client growing and stopping the cluster: addNodes, shutdown. */
import { existsSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { connectionFile } from '../../../src-main/cluster/profiles'
import { clientProcess, exited } from '../../helpers/clientProcess'
import { connectClient, freshHome, startLocal, waitGone } from '../../helpers/cluster'

describe('a connected client running the cluster', () => {
  it('adds a node to the running cluster', async () => {
    freshHome()
    const { cluster } = await startLocal(1, { profile: 'grow' })
    const rc = await connectClient('grow')
    expect(await rc.addNodes([{ kind: 'local', engines: 2 }])).toEqual([1, 2])
    expect(cluster.nodes).toHaveLength(2)
    expect(rc.ids).toEqual([0, 1, 2])
    expect(await rc.view().apply(() => 1)).toEqual([1, 1, 1])
    await expect(rc.addNodes([{ kind: 'moon' }])).rejects.toThrow(/kind must be/)
  })

  it('shuts the cluster down: no engine or agent left, the file removed, the controller process exits', async () => {
    freshHome()
    const { child, line } = await clientProcess(`
      const cluster = new Cluster({ nodes: [{ kind: 'local', engines: 2 }], profile: 'down', keepAlive: true })
      const own = await cluster.start()
      console.log(JSON.stringify([...own.engines.map((e) => e.pid), ...cluster.nodes.map((n) => n.agentPid)]))
    `)
    const pids = JSON.parse(line) as number[]
    const rc = await connectClient('down')
    expect(await rc.view().apply(() => 'up')).toEqual(['up', 'up'])
    await rc.shutdown()
    expect(existsSync(connectionFile('down'))).toBe(false)
    expect(await waitGone(pids, 5000)).toEqual([])
    await exited(child)
    expect(child.exitCode).toBe(0)
  })
})
