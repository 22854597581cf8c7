import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { agentBundlePath, unpacked } from '../../../src-main/nodes/agentBundle'

const dirs: string[] = []
afterEach(() => dirs.splice(0).forEach((dir) => rmSync(dir, { recursive: true, force: true })))

/** A packaged app's resources folder: `app.asar/…` and, when `withUnpacked`, `app.asar.unpacked/…`. */
function packagedApp(withUnpacked: boolean): string {
  const dir = mkdtempSync(join(tmpdir(), 'clusterdesk-asar-'))
  dirs.push(dir)
  if (withUnpacked) {
    mkdirSync(join(dir, 'app.asar.unpacked', 'resources'), { recursive: true })
    writeFileSync(join(dir, 'app.asar.unpacked', 'resources', 'agent.cjs'), '')
  }
  return dir
}

describe('agentBundlePath', () => {
  it('finds the built bundle of this checkout', () => {
    expect(agentBundlePath()).toMatch(/resources[/\\]agent\.cjs$/)
  })

  it('runs the packaged app’s bundle from app.asar.unpacked, where electron-builder puts it', () => {
    const dir = packagedApp(true)
    expect(unpacked(join(dir, 'app.asar', 'resources', 'agent.cjs'))).toBe(join(dir, 'app.asar.unpacked', 'resources', 'agent.cjs'))
  })

  it('keeps the path when nothing was unpacked, and outside an asar', () => {
    const dir = packagedApp(false)
    expect(unpacked(join(dir, 'app.asar', 'resources', 'agent.cjs'))).toBe(join(dir, 'app.asar', 'resources', 'agent.cjs'))
    expect(unpacked(join(dir, 'lib', 'resources', 'agent.cjs'))).toBe(join(dir, 'lib', 'resources', 'agent.cjs'))
  })
})
