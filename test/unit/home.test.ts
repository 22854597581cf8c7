/** clusterdesk's home directory and the paths under it: CLUSTERDESK_HOME, else XDG's data home, else ~/.local/share. */
import { join, resolve } from 'node:path'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { clusterdeskHome, defaultDataDir, profileDir, trustStoreFile } from '../../src-main/home'

afterEach(() => {
  vi.unstubAllEnvs()
})

describe('clusterdeskHome', () => {
  it('is $CLUSTERDESK_HOME when set (made absolute), whatever XDG_DATA_HOME says', () => {
    expect(clusterdeskHome({ CLUSTERDESK_HOME: '/srv/cd', XDG_DATA_HOME: '/xdg' }, '/home/bo')).toBe('/srv/cd')
    expect(clusterdeskHome({ CLUSTERDESK_HOME: 'rel/cd' }, '/home/bo')).toBe(resolve('rel/cd'))
  })

  it('is <XDG_DATA_HOME>/clusterdesk for an absolute XDG_DATA_HOME', () => {
    expect(clusterdeskHome({ XDG_DATA_HOME: '/xdg/data' }, '/home/bo')).toBe('/xdg/data/clusterdesk')
  })

  it('ignores a relative or empty XDG_DATA_HOME (invalid by the XDG spec) and an empty CLUSTERDESK_HOME', () => {
    expect(clusterdeskHome({ XDG_DATA_HOME: 'data' }, '/home/bo')).toBe('/home/bo/.local/share/clusterdesk')
    expect(clusterdeskHome({ XDG_DATA_HOME: '', CLUSTERDESK_HOME: '' }, '/home/bo')).toBe('/home/bo/.local/share/clusterdesk')
  })

  it('defaults to ~/.local/share/clusterdesk', () => {
    expect(clusterdeskHome({}, '/home/bo')).toBe('/home/bo/.local/share/clusterdesk')
  })

  it('is read from the environment at each call: the trust store, data and profiles follow it', () => {
    vi.stubEnv('CLUSTERDESK_HOME', '/tmp/cd-one')
    expect(trustStoreFile()).toBe('/tmp/cd-one/known_hosts')
    expect(defaultDataDir()).toBe('/tmp/cd-one/data')
    expect(profileDir('lab')).toBe(join('/tmp/cd-one', 'profiles', 'lab'))
    vi.stubEnv('CLUSTERDESK_HOME', '/tmp/cd-two')
    expect(trustStoreFile()).toBe('/tmp/cd-two/known_hosts')
    expect(trustStoreFile({ CLUSTERDESK_HOME: '/elsewhere' })).toBe('/elsewhere/known_hosts')
  })
})
