// @vitest-environment happy-dom
import { flushPromises } from '@vue/test-utils'
import { beforeEach, describe, expect, it } from 'vitest'
import type { NodeRecord, NodeStatus } from '../../../src-main/service/api'
import NodesView from '../../../src-renderer/src/views/NodesView.vue'
import { engine, FakeClient } from './fakeClient'
import { mountWith } from './mountWith'

beforeEach(() => {
  localStorage.clear()
  document.body.innerHTML = ''
})

const PRINT = `SHA256:${'x'.repeat(43)}`
// Dialogs are teleported to <body>, outside the mounted wrapper.
const inBody = (selector: string) => document.body.querySelector(selector) as HTMLElement | null
const byText = (selector: string, text: string) => [...document.body.querySelectorAll(selector)].find((e) => e.textContent?.includes(text)) as HTMLElement | undefined

async function type(testid: string, value: string): Promise<void> {
  const input = inBody(`[data-testid="${testid}"]`) as HTMLInputElement
  input.value = value
  input.dispatchEvent(new Event('input'))
  await flushPromises()
}

async function click(selector: string): Promise<void> {
  const el = inBody(selector)
  if (!el) throw new Error(`nothing matches ${selector}`)
  el.click()
  await flushPromises()
}

/** Opens "Add node", picks SSH and fills the fields. */
async function sshForm(client: FakeClient, fields: { host?: string; user?: string; identity?: string } = {}) {
  const wrapper = await mountWith(NodesView, client)
  await wrapper.get('[data-testid="node-add"]').trigger('click')
  await flushPromises()
  await click('[data-testid="node-kind-ssh"] input')
  await type('node-name', 'lab')
  if (fields.host !== undefined) await type('ssh-host', fields.host)
  if (fields.user !== undefined) await type('ssh-user', fields.user)
  if (fields.identity !== undefined) {
    await click('[data-testid="ssh-use-key"] input')
    await type('ssh-identity', fields.identity)
  }
  return wrapper
}

/** testNode calls for SSH nodes (the dialog first asks the default local draft for its cores). */
const sshTests = (client: FakeClient) => client.callsOf('testNode').filter((args) => (args[0] as { kind: string }).kind === 'ssh')
const button = (testid: string) => inBody(`[data-testid="${testid}"]`) as HTMLButtonElement

describe('the SSH node form', () => {
  it('needs a host without spaces and a user without spaces before it can test or save', async () => {
    const client = new FakeClient()
    await sshForm(client)
    expect(document.body.textContent).toContain('Host is required for an SSH node')
    expect(button('node-save').disabled).toBe(true)
    expect(button('node-test').disabled).toBe(true)

    await type('ssh-host', 'lab 1')
    expect(document.body.textContent).toContain('A host name has no spaces')
    expect(button('node-save').disabled).toBe(true)

    await type('ssh-host', 'lab1')
    await type('ssh-user', 'bo b')
    expect(document.body.textContent).toContain('A user name has no spaces')
    expect(button('node-save').disabled).toBe(true)

    await type('ssh-user', 'bo')
    expect(button('node-save').disabled).toBe(false)
    // ssh-agent is the default: no identity file field.
    expect(inBody('[data-testid="ssh-identity"]')).toBeNull()
    await click('[data-testid="node-save"]')
    expect(client.callsOf('saveNode')).toEqual([[{ name: 'lab', kind: 'ssh', engines: null, ssh: { host: 'lab1', port: 22, user: 'bo', useAgent: true } }]])
  })

  it('sends an identity file when ssh-agent is not used', async () => {
    const client = new FakeClient()
    await sshForm(client, { host: 'lab1', identity: '~/.ssh/id_lab' })
    await type('node-path', '/opt/node 20/bin/node')
    await click('[data-testid="node-save"]')
    expect(client.callsOf('saveNode')).toEqual([
      [{ name: 'lab', kind: 'ssh', engines: null, nodePath: '/opt/node 20/bin/node', ssh: { host: 'lab1', port: 22, useAgent: false, identityFile: '~/.ssh/id_lab' } }],
    ])
  })
})

describe('Test connection on an SSH node', () => {
  it('shows an unknown key in the trust dialog; "Trust this host" records it and tests again', async () => {
    const client = new FakeClient()
    let trusted = false
    client.testResult = () =>
      trusted
        ? { ok: true, message: 'Node.js v20.1.0 on lab1', nodeVersion: 'v20.1.0', cores: 8, fingerprint: PRINT }
        : { ok: false, message: 'the host key of lab1 is not known', fingerprint: PRINT, needsTrust: true, level: 'host-key' }
    const trustHostKey = client.trustHostKey.bind(client)
    client.trustHostKey = async (node, print) => {
      trusted = true
      return trustHostKey(node, print)
    }
    await sshForm(client, { host: 'lab1', user: 'bo' })
    await click('[data-testid="node-test"]')

    expect(inBody('[data-testid="trust-fingerprint"]')?.textContent).toBe(PRINT)
    expect(byText('.n-dialog', 'Unknown host key')).toBeTruthy()
    expect(client.callsOf('trustHostKey')).toEqual([])
    await click('[data-testid="trust-accept"]')

    const input = { name: 'lab', kind: 'ssh', engines: null, ssh: { host: 'lab1', port: 22, user: 'bo', useAgent: true } }
    expect(client.callsOf('trustHostKey')).toEqual([[input, PRINT]])
    expect(sshTests(client)).toEqual([[input], [input]])
    expect(inBody('[data-testid="node-test-fingerprint"]')?.textContent).toContain(PRINT)
    expect(inBody('[data-testid="node-test-version"]')?.textContent).toContain('v20.1.0')
    expect(inBody('[data-testid="node-test-cores"]')?.textContent).toContain('8 cores')
    expect(inBody('[data-testid="node-test-result"]')?.textContent).toContain('Node reachable')
  })

  it('cancel trusts nothing and leaves the failure shown', async () => {
    const client = new FakeClient()
    client.testResult = () => ({ ok: false, message: 'the host key of lab1 is not known', fingerprint: PRINT, needsTrust: true, level: 'host-key' })
    await sshForm(client, { host: 'lab1' })
    await click('[data-testid="node-test"]')
    await click('[data-testid="trust-cancel"]')
    expect(client.callsOf('trustHostKey')).toEqual([])
    expect(sshTests(client)).toHaveLength(1)
    expect(inBody('[data-testid="node-test-result"]')?.textContent).toContain('Node test failed')
    expect(inBody('[data-testid="node-test-fingerprint"]')?.textContent).toContain(PRINT)
  })

  it('a changed host key is refused with its warning, and no trust dialog', async () => {
    const client = new FakeClient()
    const warning = `WARNING: the host key of lab1 has CHANGED: it presented ssh-ed25519 ${PRINT}, but known_hosts:3 trusts ssh-ed25519 SHA256:old`
    client.testResult = () => ({ ok: false, message: warning, fingerprint: PRINT, needsTrust: false, level: 'host-key' })
    await sshForm(client, { host: 'lab1' })
    await click('[data-testid="node-test"]')
    expect(inBody('[data-testid="trust-fingerprint"]')?.textContent ?? '').toBe('')
    expect(byText('.n-dialog', 'Unknown host key')).toBeUndefined()
    expect(inBody('[data-testid="node-test-result"]')?.textContent).toContain('Host key refused')
    expect(inBody('[data-testid="node-test-result"]')?.textContent).toContain('CHANGED')
    expect(client.callsOf('trustHostKey')).toEqual([])
  })

  it('asks for the passphrase of an encrypted key and tests again with it (asking again when wrong)', async () => {
    const client = new FakeClient()
    client.testResult = (_input, passphrase) =>
      passphrase === 'open sesame'
        ? { ok: true, message: 'ok', nodeVersion: 'v20.1.0', cores: 2, fingerprint: PRINT }
        : { ok: false, message: passphrase ? 'wrong passphrase' : 'the identity file is encrypted', level: 'client-key' }
    await sshForm(client, { host: 'lab1', identity: '~/.ssh/id_enc' })
    await click('[data-testid="node-test"]')
    expect(byText('.n-dialog', 'Key passphrase')).toBeTruthy()
    await type('passphrase-input', 'nope')
    await click('[data-testid="passphrase-ok"]')
    expect(document.body.textContent).toContain('That passphrase was wrong')
    await type('passphrase-input', 'open sesame')
    await click('[data-testid="passphrase-ok"]')
    expect(sshTests(client).map((args) => args[1])).toEqual([undefined, 'nope', 'open sesame'])
    expect(inBody('[data-testid="node-test-result"]')?.textContent).toContain('Node reachable')
  })
})

describe('SSH nodes in the table', () => {
  const record: NodeRecord = { id: 'n1', name: 'lab', kind: 'ssh', engines: 2, ssh: { host: 'lab1', user: 'bo', useAgent: true }, createdAt: 0, updatedAt: 0 }
  const status = (patch: Partial<NodeStatus>): NodeStatus => ({ nodeId: 'n1', state: 'stopped', engineIds: [], ...patch })

  it.each(['connecting', 'uploading', 'starting', 'ready'] as const)('shows the %s state without a Reconnect button', async (state) => {
    const wrapper = await mountWith(NodesView, new FakeClient({ nodes: [record], nodeStatus: [status({ state })] }))
    expect(wrapper.get('[data-testid="node-state"]').text()).toBe(state)
    expect(wrapper.find('[data-testid="node-reconnect"]').exists()).toBe(false)
  })

  it('a lost node shows why and reconnects from its row; a failed one too', async () => {
    const client = new FakeClient({ nodes: [record], nodeStatus: [status({ state: 'lost', reason: 'the connection closed' })] })
    const wrapper = await mountWith(NodesView, client)
    expect(wrapper.get('[data-testid="node-state"]').text()).toBe('lost')
    expect(wrapper.get('[data-testid="node-reason"]').text()).toBe('the connection closed')
    await wrapper.get('[data-testid="node-reconnect"]').trigger('click')
    await flushPromises()
    expect(client.callsOf('reconnectNode')).toEqual([['n1']])

    client.emit([{ type: 'nodeStatus', status: status({ state: 'failed', reason: 'bo@lab1:22 refused the identity file' }) }])
    await flushPromises()
    expect(wrapper.get('[data-testid="node-state"]').text()).toBe('failed')
    expect(wrapper.get('[data-testid="node-reason"]').text()).toContain('refused')
    expect(wrapper.find('[data-testid="node-reconnect"]').exists()).toBe(true)
  })

  it('counts only live engines: a lost node has none running', async () => {
    const running = status({ state: 'ready', engineIds: [0, 1] })
    const client = new FakeClient({ nodes: [record], nodeStatus: [running], engines: [engine(0), engine(1)] })
    const wrapper = await mountWith(NodesView, client)
    expect(wrapper.text()).toContain('2 running of')
    client.emit([
      { type: 'engine', engine: engine(0, { state: 'dead' }) },
      { type: 'engine', engine: engine(1, { state: 'dead' }) },
      { type: 'nodeStatus', status: { ...running, state: 'lost', reason: 'the SSH connection timed out' } },
    ])
    await flushPromises()
    expect(wrapper.get('[data-testid="node-state"]').text()).toBe('lost')
    expect(wrapper.text()).not.toContain('running of')
  })

  it('Start on an unknown host key asks to trust it, then starts; a key passphrase is asked for', async () => {
    const client = new FakeClient({ nodes: [record] })
    let trusted = false
    client.testResult = () => ({ ok: false, message: 'unknown', fingerprint: PRINT, needsTrust: !trusted, level: 'host-key' })
    client.startError = (_id, passphrase) => {
      if (!trusted) return Object.assign(new Error('the host key of lab1 is not known'), { name: 'HostKeyError' })
      if (passphrase !== 'pw') return Object.assign(new Error('the identity file is encrypted'), { name: 'SshKeyError' })
      return null
    }
    const trustHostKey = client.trustHostKey.bind(client)
    client.trustHostKey = async (node, print) => {
      trusted = true
      return trustHostKey(node, print)
    }
    const wrapper = await mountWith(NodesView, client)
    await wrapper.get('[data-testid="node-start"]').trigger('click')
    await flushPromises()
    expect(inBody('[data-testid="trust-fingerprint"]')?.textContent).toBe(PRINT)
    await click('[data-testid="trust-accept"]')
    expect(client.callsOf('trustHostKey')).toEqual([['n1', PRINT]])
    expect(byText('.n-dialog', 'Key passphrase')).toBeTruthy()
    await type('passphrase-input', 'pw')
    await click('[data-testid="passphrase-ok"]')
    expect(client.callsOf('startNode')).toEqual([['n1'], ['n1'], ['n1', 'pw']])
  })
})
