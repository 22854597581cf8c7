/**
 * The app's nodes on a cluster it attached to: the attached controller starts and stops them (over
 * the client protocol), their engines arrive in the app, and what that controller cannot ask the
 * app's user (an unknown host key, a passphrase) is said plainly. Against a real sshd on loopback.
 */
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { Cluster } from '../../../src-main/cluster/Cluster'
import { fingerprint } from '../../../src-main/nodes/ssh/knownHosts'
import type { ClusterService } from '../../../src-main/service/ClusterService'
import type { NodeInput, NodeStatus } from '../../../src-main/service/api'
import { keygen, startSshd, type Sshd } from '../../helpers/sshd'
import { onCleanup, openService, recordEvents, tempDir, waitFor } from '../../helpers/service'
import { useTempHomes } from '../../helpers/tempHome'

let sshd: Sshd
beforeAll(async () => {
  sshd = await startSshd()
})
afterAll(async () => {
  await sshd?.stop()
})

// Each test has its own HOME and CLUSTERDESK_HOME: profiles and the trust store start empty.
const homes = useTempHomes()

/** A cluster "started elsewhere" under `profile`, with one local engine. */
async function elsewhere(profile: string): Promise<Cluster> {
  const cluster = new Cluster({ nodes: [{ kind: 'local', engines: 1 }], profile })
  onCleanup(() => cluster.stop())
  await cluster.start()
  return cluster
}

async function attached(profile: string): Promise<ClusterService> {
  const service = openService(tempDir(), { profile: undefined })
  await service.published()
  await service.attach(profile)
  return service
}

const statusOf = async (service: ClusterService, id: string): Promise<NodeStatus> => (await service.snapshot()).nodeStatus.find((s) => s.nodeId === id)!

describe("the app's nodes on an attached cluster", () => {
  test('a local node starts on the attached cluster, its engines arrive, it stops there, and each cluster shows its own node states', async () => {
    const lab = await elsewhere('lab')
    const service = await attached('lab')
    const events = recordEvents(service)
    const node = await service.saveNode({ name: 'Two more', kind: 'local', engines: 2 })

    await service.startNode(node.id)
    const ready = await statusOf(service, node.id)
    expect(ready).toMatchObject({ state: 'ready' })
    expect(ready.engineIds).toHaveLength(2)
    // They run in lab's cluster (its controller launched them), and the app shows them.
    expect(lab.nodes).toHaveLength(2)
    expect(lab.client!.ids).toEqual([0, ...ready.engineIds])
    const snap = await waitFor(async () => {
      const s = await service.snapshot()
      return s.engines.filter((e) => e.state === 'idle').length === 3 ? s : null
    }, "lab's three engines, idle")
    expect(snap.engines.map((e) => e.id)).toEqual([0, ...ready.engineIds])
    const states = (): string[] => events.events.flatMap((e) => (e.type === 'nodeStatus' && e.status.nodeId === node.id ? [e.status.state] : []))
    await waitFor(() => states().includes('ready'), 'the ready event')
    expect(states()).toEqual(['starting', 'ready'])
    expect((await service.execute('1 + 1', 'all')).results.map((r) => r.out)).toEqual(['2', '2', '2'])

    // Back to the app's own cluster: that node is not running there; attached again, it is on lab.
    await service.detach()
    expect(await statusOf(service, node.id)).toMatchObject({ state: 'stopped' })
    await service.attach('lab')
    expect(await statusOf(service, node.id)).toMatchObject({ state: 'ready', engineIds: ready.engineIds })

    await service.stopNode(node.id)
    expect(await statusOf(service, node.id)).toMatchObject({ state: 'stopped' })
    expect(lab.nodes).toHaveLength(1)
    expect(lab.client!.engines.filter((e) => e.state !== 'dead').map((e) => e.id)).toEqual([0])
  })

  test('an SSH node: an unknown host key is refused with what to do, trusted in the store both share, then started; a passphrase is never sent', async () => {
    await elsewhere('lab')
    const service = await attached('lab')
    const input: NodeInput = {
      name: 'loopback',
      kind: 'ssh',
      engines: 1,
      nodePath: process.execPath,
      ssh: { host: sshd.host, port: sshd.port, user: 'root', identityFile: sshd.userKey, useAgent: false },
    }
    const node = await service.saveNode(input)
    const refused = await service.startNode(node.id).catch((e: Error) => e)
    expect(refused).toMatchObject({ name: 'HostKeyError' })
    expect((refused as Error).message).toMatch(/not known[\s\S]*controller of profile 'lab' cannot ask about it[\s\S]*trust the key here/)
    expect(await statusOf(service, node.id)).toMatchObject({ state: 'failed', level: 'host-key', needsTrust: true })

    // The app trusts it (after testing it from here, as the Nodes page does); lab's controller reads the same store.
    const tested = await service.testNode(input)
    expect(tested).toMatchObject({ needsTrust: true, fingerprint: fingerprint(sshd.hostKeyBlob) })
    await service.trustHostKey(node.id, tested.fingerprint!)
    // Reconnect, as the page offers for a failed node: what failed left nothing to stop there.
    await service.reconnectNode(node.id)
    const ready = await statusOf(service, node.id)
    expect(ready).toMatchObject({ state: 'ready', host: expect.any(String) })
    expect(ready.engineIds).toHaveLength(1)
    await service.stopNode(node.id)
    expect(await statusOf(service, node.id)).toMatchObject({ state: 'stopped' })

    // An encrypted key: the controller cannot ask, and the app does not hand it the passphrase.
    const locked = keygen(join(homes.user, '.ssh', 'locked'), { passphrase: 'open sesame' })
    const lockedNode = await service.saveNode({ ...input, name: 'locked', ssh: { ...input.ssh!, identityFile: locked } })
    const needsPassphrase = await service.startNode(lockedNode.id).catch((e: Error) => e)
    expect(needsPassphrase).toMatchObject({ name: 'AttachedNodeError', message: expect.stringMatching(/load the key into ssh-agent \(ssh-add .*locked\)/) })
    expect(await statusOf(service, lockedNode.id)).toMatchObject({ state: 'failed', level: 'client-key' })
    await expect(service.startNode(lockedNode.id, 'open sesame')).rejects.toMatchObject({ name: 'AttachedNodeError', message: expect.stringMatching(/does not send it a key's passphrase/) })
  })
})
