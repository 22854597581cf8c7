/**
 * SSH nodes through the service, against a real OpenSSH sshd on loopback: save, test (unknown host
 * key with its fingerprint), trust, start (per-node stages up to ready, engines), stop; a wrong
 * key fails with a reason.
 */
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { agentBundle } from '../../../src-main/nodes/ssh'
import { fingerprint } from '../../../src-main/nodes/ssh/knownHosts'
import type { NodeInput, NodeState } from '../../../src-main/service/api'
import { keygen, startSshd, type Sshd } from '../../helpers/sshd'
import { openService, recordEvents, tempDir, waitFor } from '../../helpers/service'
import { useTempHomes } from '../../helpers/tempHome'

let sshd: Sshd

beforeAll(async () => {
  sshd = await startSshd()
})
afterAll(async () => {
  await sshd?.stop()
})

const sshNode = (extra: Partial<NonNullable<NodeInput['ssh']>> = {}): NodeInput => ({
  name: 'loopback',
  kind: 'ssh',
  engines: 2,
  nodePath: process.execPath,
  ssh: { host: sshd.host, port: sshd.port, user: 'root', identityFile: sshd.userKey, useAgent: false, ...extra },
})

// Each test has its own HOME and CLUSTERDESK_HOME: the sshd's key is unknown until trusted.
const homes = useTempHomes()

/** A service as the app makes one: ~/.ssh/known_hosts (empty here) and clusterdesk's trust store. */
function service() {
  const dataDir = tempDir()
  return { service: openService(dataDir), dataDir }
}

const agents = (): number => sshd.descendants().filter((p) => p.cmdline.includes(agentBundle().fileName)).length

describe('SSH nodes in the service (real sshd)', () => {
  test('save, test shows the unknown key, trust it, start → ready with engines, stop', async () => {
    const { service: svc } = service()
    const events = recordEvents(svc)
    const node = await svc.saveNode(sshNode())
    expect(node).toMatchObject({ kind: 'ssh', ssh: { host: sshd.host, port: sshd.port } })

    const print = fingerprint(sshd.hostKeyBlob)
    const unknown = await svc.testNode(node)
    expect(unknown).toMatchObject({ ok: false, needsTrust: true, fingerprint: print, level: 'host-key' })
    expect(unknown.message).toContain(print)

    // Starting before the decision fails, saying why, and offers the same key to trust.
    await expect(svc.startNode(node.id)).rejects.toThrow(/not known/)
    expect((await svc.snapshot()).nodeStatus.find((s) => s.nodeId === node.id)).toMatchObject({ state: 'failed', fingerprint: print, needsTrust: true, level: 'host-key' })

    // A fingerprint the host does not present is not trusted.
    await expect(svc.trustHostKey(node.id, `SHA256:${'A'.repeat(43)}`)).rejects.toThrow(/now presents the host key/)
    await svc.trustHostKey(node.id, print)
    // Recorded in the one trust store under CLUSTERDESK_HOME (not in the data directory, not in ~/.ssh).
    expect(readFileSync(join(homes.clusterdesk, 'known_hosts'), 'utf8')).toContain(`[${sshd.host}]:${sshd.port} ssh-ed25519 ${sshd.hostKeyBlob.toString('base64')}`)
    expect(existsSync(homes.userKnownHosts)).toBe(false)

    const tested = await svc.testNode(sshNode())
    expect(tested).toMatchObject({ ok: true, fingerprint: print, nodeVersion: process.version })
    expect(tested.cores).toBeGreaterThan(0)
    // A missing remote working directory or Node.js is reported, not started.
    expect(await svc.testNode({ ...sshNode(), cwd: '/nonexistent dir; rm -rf /' })).toMatchObject({ ok: false, message: expect.stringMatching(/working directory .* does not exist/) })
    expect(await svc.testNode({ ...sshNode(), nodePath: '/no/such/node' })).toMatchObject({ ok: false, level: 'remote-node', fingerprint: print })

    await svc.startNode(node.id)
    const snap = await svc.snapshot()
    expect(snap.nodeStatus.find((s) => s.nodeId === node.id)).toMatchObject({ state: 'ready', nodeVersion: process.version })
    const engines = snap.engines.filter((e) => e.nodeId === node.id)
    expect(engines).toHaveLength(2)
    await waitFor(() => events.events.some((e) => e.type === 'engine' && e.engine.nodeId === node.id && e.engine.state === 'idle'), 'idle SSH engines')
    // Per-node stages, in order, as the launch went through them.
    await waitFor(() => events.events.some((e) => e.type === 'nodeStatus' && e.status.state === 'ready'), 'ready event')
    const states = events.events.flatMap((e) => (e.type === 'nodeStatus' && e.status.nodeId === node.id ? [e.status.state] : []))
    const stages = [...new Set(states.slice(states.lastIndexOf('failed') + 1))].filter((s) => s !== 'uploading')
    expect(stages).toEqual<NodeState[]>(['connecting', 'starting', 'ready'])

    const entry = await svc.execute('1 + 1', 'all')
    expect(entry.results.map((r) => r.out)).toEqual(['2', '2'])

    await svc.stopNode(node.id)
    expect((await svc.snapshot()).nodeStatus.find((s) => s.nodeId === node.id)).toMatchObject({ state: 'stopped' })
    await waitFor(() => agents() === 0, 'no agents left on the host')
  })

  test('a node whose agent dies is lost, with the reason; Reconnect brings it back', async () => {
    const { service: svc } = service()
    await svc.trustHostKey(sshNode(), fingerprint(sshd.hostKeyBlob))
    const node = await svc.saveNode(sshNode())
    await svc.startNode(node.id)
    const statusOf = async () => (await svc.snapshot()).nodeStatus.find((s) => s.nodeId === node.id)!
    expect(await statusOf()).toMatchObject({ state: 'ready' })
    // The agent is the bundle's process whose parent is not itself an agent (engines are its children).
    const procs = sshd.descendants().filter((p) => p.cmdline.includes(agentBundle().fileName))
    const agent = procs.find((p) => !p.cmdline.includes('--engine')) ?? procs[0]
    process.kill(agent.pid, 'SIGKILL')
    const lost = await waitFor(async () => {
      const s = await statusOf()
      return s.state === 'lost' ? s : null
    }, 'the node to be lost')
    expect(lost.reason).toBeTruthy()

    await svc.reconnectNode(node.id)
    expect(await statusOf()).toMatchObject({ state: 'ready' })
    expect((await svc.snapshot()).engines.filter((e) => e.nodeId === node.id && e.state !== 'dead')).toHaveLength(2)
    await svc.stopNode(node.id)
    await waitFor(() => agents() === 0, 'no agents left on the host')
  })

  test('a key the server does not accept: the test and the start fail with the reason', async () => {
    const { service: svc, dataDir } = service()
    await svc.trustHostKey(sshNode(), fingerprint(sshd.hostKeyBlob))
    const wrongKey = keygen(join(dataDir, 'wrong_ed25519'))
    const node = await svc.saveNode(sshNode({ identityFile: wrongKey }))
    const tested = await svc.testNode(node)
    expect(tested).toMatchObject({ ok: false, level: 'client-authentication' })
    expect(tested.message).toMatch(/refused the identity file/)
    await expect(svc.startNode(node.id)).rejects.toThrow(/refused the identity file/)
    expect((await svc.snapshot()).nodeStatus.find((s) => s.nodeId === node.id)).toMatchObject({ state: 'failed', level: 'client-authentication', reason: expect.stringMatching(/authorized_keys/) })
  })

  test('an encrypted key: client-key until the passphrase is given for the call', async () => {
    const { service: svc, dataDir } = service()
    await svc.trustHostKey(sshNode(), fingerprint(sshd.hostKeyBlob))
    const key = keygen(join(dataDir, 'enc_ed25519'), { passphrase: 'open sesame' })
    sshd.authorize(`${key}.pub`)
    const node = await svc.saveNode(sshNode({ identityFile: key }))
    expect(await svc.testNode(node)).toMatchObject({ ok: false, level: 'client-key', message: expect.stringMatching(/encrypted/) })
    expect(await svc.testNode(node, 'wrong')).toMatchObject({ ok: false, level: 'client-key', message: expect.stringMatching(/wrong passphrase/) })
    expect(await svc.testNode(node, 'open sesame')).toMatchObject({ ok: true })
    await expect(svc.startNode(node.id)).rejects.toThrow(/encrypted/)
    expect((await svc.snapshot()).nodeStatus.find((s) => s.nodeId === node.id)).toMatchObject({ state: 'failed', level: 'client-key' })
    await svc.startNode(node.id, 'open sesame')
    expect((await svc.snapshot()).engines.filter((e) => e.nodeId === node.id)).toHaveLength(2)
    // The passphrase is never written to the database.
    await svc.stopNode(node.id)
    expect(readFileSync(join(dataDir, 'clusterdesk.db')).includes('open sesame')).toBe(false)
  })

  // Last: it replaces the shared sshd's host key.
  test('a changed host key is refused, naming both fingerprints, and cannot be trusted over the old one', async () => {
    const { service: svc } = service()
    const old = fingerprint(sshd.hostKeyBlob)
    await svc.trustHostKey(sshNode(), old)
    expect(await svc.testNode(sshNode())).toMatchObject({ ok: true, fingerprint: old })
    await sshd.changeHostKey()
    const now = fingerprint(sshd.hostKeyBlob)
    const tested = await svc.testNode(sshNode())
    expect(tested).toMatchObject({ ok: false, fingerprint: now, needsTrust: false, level: 'host-key' })
    expect(tested.message).toMatch(/CHANGED/)
    expect(tested.message).toContain(old)
    expect(tested.message).toContain(now)
    await expect(svc.trustHostKey(sshNode(), now)).rejects.toThrow(/CHANGED/)
  })
})
