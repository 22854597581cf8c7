import { describe, expect, it } from 'vitest'
import { serialize, deserialize } from 'node:v8'
import { DaemonStartError, fromWire, toWire } from '../../../src-main/cli/daemonMessages'
import { ClusterConfigError } from '../../../src-main/cluster/options'
import { HostKeyError, SshKeyError } from '../../../src-main/nodes/ssh/errors'

/** The daemon's IPC pipe uses 'advanced' serialization: the structured clone of node:v8. */
const overThePipe = (err: unknown): Error => fromWire(deserialize(serialize(toWire(err))))

describe('daemon errors over the IPC pipe', () => {
  it('an unknown host key comes back as a HostKeyError the SSH prompts can trust', () => {
    const blob = Buffer.from([0, 0, 0, 11, 1, 2, 3])
    const back = overThePipe(new HostKeyError('unknown key', '[lab1]:2222', 'SHA256:abc', undefined, blob))
    expect(back).toBeInstanceOf(HostKeyError)
    const e = back as HostKeyError
    expect([e.message, e.host, e.fingerprint, e.changed]).toEqual(['unknown key', '[lab1]:2222', 'SHA256:abc', false])
    expect(Buffer.isBuffer(e.keyBlob) && e.keyBlob.equals(blob)).toBe(true)
  })

  it('a changed host key stays changed', () => {
    const e = overThePipe(new HostKeyError('changed', 'lab1', 'SHA256:new', 'SHA256:old')) as HostKeyError
    expect(e.changed).toBe(true)
    expect(e.keyBlob).toBeUndefined()
  })

  it('an identity file that needs its passphrase keeps its file and problem', () => {
    const e = overThePipe(new SshKeyError('needs a passphrase', '/home/bo/.ssh/id', 'needs-passphrase')) as SshKeyError
    expect(e).toBeInstanceOf(SshKeyError)
    expect([e.file, e.problem]).toEqual(['/home/bo/.ssh/id', 'needs-passphrase'])
  })

  it('other errors keep their message; config errors their class', () => {
    expect(overThePipe(new ClusterConfigError('nodes[0].engines must be…'))).toBeInstanceOf(ClusterConfigError)
    const other = overThePipe(new TypeError('boom'))
    expect(other).toBeInstanceOf(DaemonStartError)
    expect(other.message).toBe('boom')
    expect(overThePipe('a string').message).toBe('a string')
  })
})
