/** ~/.ssh/config resolution through ssh-config: aliases, HostName, User, Port, IdentityFile, ProxyJump. */
import { mkdtempSync, writeFileSync } from 'node:fs'
import { homedir, tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { resolveEndpoint } from '../../../src-main/nodes/ssh/connect'
import { parseHostSpec, resolveHost } from '../../../src-main/nodes/ssh/sshConfig'

const file = join(mkdtempSync(join(tmpdir(), 'cd-cfg-')), 'config')
writeFileSync(
  file,
  ['Host lab', '  HostName 10.1.2.3', '  User bo', '  Port 2222', '  IdentityFile ~/.ssh/lab_key', '  ProxyJump jumper@gate:2200', '', 'Host *', '  User everyone', ''].join('\n'),
)

describe('ssh config', () => {
  it('resolves an alias', () => {
    expect(resolveHost('lab', file)).toEqual({ hostName: '10.1.2.3', port: 2222, user: 'bo', identityFiles: [join(homedir(), '.ssh/lab_key')], proxyJump: 'jumper@gate:2200' })
  })

  it('lets explicit options win over the config', () => {
    expect(resolveEndpoint({ host: 'lab', port: 22, user: 'me', identityFile: '/k', sshConfigFile: file })).toMatchObject({ host: '10.1.2.3', port: 22, user: 'me', identityFiles: ['/k'] })
  })

  it('leaves an unknown host as it is, with wildcard defaults', () => {
    expect(resolveHost('elsewhere', file)).toMatchObject({ hostName: 'elsewhere', user: 'everyone', identityFiles: [] })
    expect(resolveHost('x', join(file, 'missing'))).toEqual({ hostName: 'x', identityFiles: [] })
  })

  it('reads [user@]host[:port]', () => {
    expect(parseHostSpec('jumper@gate:2200')).toEqual({ user: 'jumper', host: 'gate', port: 2200 })
    expect(parseHostSpec('gate')).toEqual({ user: undefined, host: 'gate', port: undefined })
    expect(parseHostSpec('[::1]:22')).toEqual({ user: undefined, host: '::1', port: 22 })
  })
})
