/** The app's Slurm/PBS node records as cluster specs, and their job as a node state. */
import { describe, expect, it } from 'vitest'
import type { NodeInput } from '../../../src-main/service/api'
import { batchSpecOf, batchStateOf } from '../../../src-main/service/batchNodes'
import { specOf } from '../../../src-main/service/nodeManager'

const record = (input: Partial<NodeInput>) => ({ id: 'n1', createdAt: 0, updatedAt: 0, name: 'hpc', kind: 'slurm' as const, engines: 4, ...input })

describe('batch node records', () => {
  it('make a Slurm spec submitted from this machine', () => {
    expect(specOf(record({ batch: { queue: 'debug', time: '00:30:00', nodes: 2, setup: ['module load nodejs'], extraArgs: ['--mem=1G'] }, nodePath: '/opt/node' }))).toEqual({
      kind: 'slurm',
      partition: 'debug',
      time: '00:30:00',
      nodes: 2,
      engines: 4,
      setup: ['module load nodejs'],
      sbatchArgs: ['--mem=1G'],
      nodePath: '/opt/node',
      account: undefined,
      cwd: undefined,
      login: undefined,
    })
  })

  it('make a PBS spec through a login host from the ssh settings, checked against the known hosts', () => {
    const spec = batchSpecOf(record({ kind: 'pbs', ssh: { host: 'login1', user: 'bo', useAgent: true }, batch: { queue: 'batch', time: '1:00:00', account: 'phys' } }), { knownHostsFile: '/k' }, 'pw')
    expect(spec).toMatchObject({ kind: 'pbs', queue: 'batch', walltime: '1:00:00', account: 'phys', login: { host: 'login1', user: 'bo', knownHostsFile: '/k', strictHostKeyChecking: 'yes', passphrase: 'pw' } })
  })

  it('say queued while the job waits, starting once it runs', () => {
    expect(batchStateOf({ scheduler: 'slurm', id: '1', state: 'PENDING', reason: 'Priority' })).toBe('queued')
    expect(batchStateOf({ scheduler: 'pbs', id: '1', state: 'QUEUED', reason: '' })).toBe('queued')
    expect(batchStateOf({ scheduler: 'slurm', id: '1', state: 'RUNNING', reason: '' })).toBe('starting')
    expect(batchStateOf(null)).toBe('starting')
  })
})
