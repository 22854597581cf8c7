// @vitest-environment happy-dom
/** The node form's Slurm/PBS fields and the nodes table's view of a queued job. */
import { flushPromises } from '@vue/test-utils'
import { beforeEach, describe, expect, it } from 'vitest'
import NodesView from '../../../src-renderer/src/views/NodesView.vue'
import { FakeClient } from './fakeClient'
import { mountWith } from './mountWith'

beforeEach(() => {
  localStorage.clear()
  document.body.innerHTML = ''
})

const inBody = (selector: string) => document.body.querySelector(selector) as HTMLElement | null
function type(selector: string, value: string): void {
  const input = inBody(selector) as HTMLInputElement | HTMLTextAreaElement
  input.value = value
  input.dispatchEvent(new Event('input'))
}

describe('Slurm and PBS nodes in the app', () => {
  it('saves a Slurm node submitted through a login host, with setup lines and sbatch arguments', async () => {
    const client = new FakeClient()
    const wrapper = await mountWith(NodesView, client)
    await wrapper.get('[data-testid="node-add"]').trigger('click')
    await flushPromises()
    ;(inBody('[data-testid="node-kind-slurm"] input') as HTMLInputElement).click()
    await flushPromises()
    type('[data-testid="node-name"]', 'hpc')
    type('[data-testid="batch-queue"]', 'debug')
    await flushPromises()
    expect((inBody('[data-testid="node-engines"]') as HTMLInputElement).placeholder).toBe('1 per allocated node')
    type('[data-testid="batch-setup"]', "module load nodejs/20\n\nexport A='x;y'")
    type('[data-testid="batch-args"]', '--mem=4G')
    inBody('[data-testid="batch-via-login"]')!.click()
    await flushPromises()
    // Through a login host, the host is needed.
    expect((inBody('[data-testid="node-save"]') as HTMLButtonElement).disabled).toBe(true)
    expect(document.body.textContent).toContain('Name the login host')
    type('[data-testid="ssh-host"]', 'login1')
    await flushPromises()
    inBody('[data-testid="node-save"]')!.click()
    await flushPromises()
    expect(client.callsOf('saveNode')).toEqual([
      [
        {
          name: 'hpc',
          kind: 'slurm',
          engines: null,
          ssh: { host: 'login1', port: 22, useAgent: true },
          batch: { queue: 'debug', time: '01:00:00', nodes: 1, setup: ['module load nodejs/20', "export A='x;y'"], extraArgs: ['--mem=4G'] },
        },
      ],
    ])
  })

  it("shows a queued job's state and the scheduler's reason in the table", async () => {
    const client = new FakeClient({
      nodes: [{ id: 'n1', name: 'hpc', kind: 'slurm', engines: 2, batch: { queue: 'debug', time: '1:00:00', nodes: 3 }, createdAt: 0, updatedAt: 0 }],
      nodeStatus: [{ nodeId: 'n1', state: 'queued', engineIds: [], job: { scheduler: 'slurm', id: '42', state: 'PENDING', reason: 'Priority' } }],
    })
    const wrapper = await mountWith(NodesView, client)
    await flushPromises()
    expect(wrapper.get('[data-testid="node-state"]').text()).toBe('queued')
    expect(wrapper.get('[data-testid="node-job"]').text()).toBe('slurm job 42: PENDING (Priority)')
    expect(wrapper.get('[data-testid="node-row"]').text()).toContain('slurm · debug')
    expect(wrapper.get('[data-testid="node-row"]').text()).toContain('2 × 3 nodes')
  })
})
