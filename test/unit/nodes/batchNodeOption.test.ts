/** `--node` values for batch nodes: slurm:/pbs: (submit here) and slurm://login/… (through SSH). */
import { InvalidArgumentError } from 'commander'
import { describe, expect, it } from 'vitest'
import { parseNodeOption } from '../../../src-main/cli/nodeOption'

describe('--node for batch nodes', () => {
  it('reads a Slurm node submitted from this machine, with repeatable setup and sbatchArgs', () => {
    expect(parseNodeOption("slurm:debug?time=01:00:00&nodes=2&engines=8&account=phys&setup=module+load+nodejs/20&setup=export%20A='x;y'&sbatchArgs=--mem=4G&sbatchArgs=--qos=low")).toEqual({
      kind: 'slurm',
      partition: 'debug',
      time: '01:00:00',
      nodes: 2,
      engines: 8,
      account: 'phys',
      setup: ['module load nodejs/20', "export A='x;y'"],
      sbatchArgs: ['--mem=4G', '--qos=low'],
    })
  })

  it('reads a Slurm node through a login host, with its SSH options', () => {
    expect(parseNodeOption('slurm://bo@login1:2222/gpu?time=30&identityFile=~/.ssh/id%20x&strictHostKeyChecking=accept-new')).toEqual({
      kind: 'slurm',
      partition: 'gpu',
      time: '30',
      login: { host: 'login1', port: 2222, user: 'bo', identityFile: '~/.ssh/id x', strictHostKeyChecking: 'accept-new' },
    })
  })

  it('reads PBS nodes', () => {
    expect(parseNodeOption('pbs:batch?walltime=02:00:00&nodes=3&qsubArgs=-l&qsubArgs=mem%3D4gb')).toEqual({
      kind: 'pbs',
      queue: 'batch',
      walltime: '02:00:00',
      nodes: 3,
      qsubArgs: ['-l', 'mem=4gb'],
    })
    expect(parseNodeOption('pbs://hpc/batch?walltime=1:00:00')).toEqual({ kind: 'pbs', queue: 'batch', walltime: '1:00:00', login: { host: 'hpc' } })
  })

  it.each([
    ['slurm:?time=1', /names no partition/],
    ['slurm:debug', /needs time=/],
    ['pbs:batch?time=1', /Unknown pbs node option 'time'/],
    ['slurm:debug?time=1&identityFile=k', /Unknown slurm node option 'identityFile'/],
    ['slurm:debug?time=1&nodes=0', /nodes as a whole number/],
    ['slurm://login1?time=1', /names no partition/],
    ['slurm://bo:pw@login1/debug?time=1', /Passwords/],
    ['slurm:debug?time=1&engines=', /is empty/],
  ])('refuses %j', (text, message) => {
    expect(() => parseNodeOption(text)).toThrow(InvalidArgumentError)
    expect(() => parseNodeOption(text)).toThrow(message)
  })
})
