/** `--node` values: local and ssh:// forms, and clear refusals. */
import { InvalidArgumentError } from 'commander'
import { describe, expect, it } from 'vitest'
import { collectNode, parseNodeOption } from '../../../src-main/cli/nodeOption'

describe('--node', () => {
  it('reads local nodes', () => {
    expect(parseNodeOption('local')).toEqual({ kind: 'local' })
    expect(parseNodeOption('local:2')).toEqual({ kind: 'local', engines: 2 })
  })

  it('reads ssh:// nodes with their options, decoding escapes', () => {
    expect(
      parseNodeOption("ssh://bo@lab1:2222?engines=2&identityFile=~/.ssh/id%20x&nodePath=/opt/it's%20node/bin/node&strictHostKeyChecking=accept-new"),
    ).toEqual({ kind: 'ssh', host: 'lab1', port: 2222, user: 'bo', engines: 2, identityFile: '~/.ssh/id x', nodePath: "/opt/it's node/bin/node", strictHostKeyChecking: 'accept-new' })
    expect(parseNodeOption('ssh://lab1')).toEqual({ kind: 'ssh', host: 'lab1' })
    expect(parseNodeOption('ssh://lab1?maxHeapMB=8192&engines=2000')).toEqual({ kind: 'ssh', host: 'lab1', maxHeapMB: 8192, engines: 2000 })
    expect(parseNodeOption('ssh://[::1]:22')).toEqual({ kind: 'ssh', host: '::1', port: 22 })
  })

  it.each([
    ['local:0', /engine count/],
    ['local:two', /engine count/],
    ['lab1', /Expected a node/],
    ['ssh://', /Cannot read|names no host/],
    ['ssh://lab1?engines=0', /engine count/],
    ['ssh://lab1?maxHeapMB=lots', /maxHeapMB must be a whole number of MB/],
    ['ssh://lab1?colour=red', /Unknown SSH node option 'colour'/],
    ['ssh://lab1?strictHostKeyChecking=no', /'yes' or 'accept-new'/],
    ['ssh://bo:pw@lab1', /Passwords/],
    ['ssh://lab1:99999', /Cannot read/],
  ])('refuses %j', (text, message) => {
    expect(() => parseNodeOption(text)).toThrow(InvalidArgumentError)
    expect(() => parseNodeOption(text)).toThrow(message)
  })

  it('collects repeated values in order', () => {
    expect(collectNode('ssh://h', collectNode('local:1'))).toEqual([{ kind: 'local', engines: 1 }, { kind: 'ssh', host: 'h' }])
  })
})
