/** `clusterdesk pi --node …` with a local and an SSH node (the built dist/cli.js, a real sshd). */
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { chunkSizes, piChunk } from '../../../src-main/experiments/pi/runPi'
import { startSshd, type Sshd } from '../../helpers/sshd'

const cli = join(fileURLToPath(new URL('../../..', import.meta.url)), 'dist/cli.js')
let sshd: Sshd
let home: string

beforeAll(async () => {
  sshd = await startSshd()
  home = mkdtempSync(join(tmpdir(), 'cd-cli-home-'))
})
afterAll(async () => {
  await sshd?.stop()
  rmSync(home, { recursive: true, force: true })
})

// HOME and CLUSTERDESK_HOME are a fresh folder: no known_hosts, the trust store is created there.
const run = (...args: string[]) =>
  spawnSync(process.execPath, [cli, 'pi', ...args], { encoding: 'utf8', env: { ...process.env, HOME: home, CLUSTERDESK_HOME: join(home, 'cdhome') }, timeout: 60000 })

describe('clusterdesk pi --node', () => {
  it('runs on a local and an SSH node, trusting the new host key when asked', () => {
    const url = (strict: string) =>
      `ssh://root@127.0.0.1:${sshd.port}?engines=2&identityFile=${encodeURIComponent(sshd.userKey)}&nodePath=${encodeURIComponent(process.execPath)}${strict}`
    const refused = run('--node', 'local:1', '--node', url(''), '--samples', '1e6', '--tasks', '8', '--json')
    expect(refused.status).toBe(1)
    expect(refused.stderr).toMatch(/host key of \[127\.0\.0\.1\]:\d+ is not known: ssh-ed25519 SHA256:/)

    const ok = run('--node', 'local:1', '--node', url('&strictHostKeyChecking=accept-new'), '--samples', '1e6', '--tasks', '8', '--json')
    expect(ok.stderr).toBe('')
    expect(ok.status).toBe(0)
    const result = JSON.parse(ok.stdout) as { hits: number; engines: number }
    expect(result.engines).toBe(3)
    expect(result.hits).toBe(chunkSizes(1e6, 8).reduce((sum, n, i) => sum + piChunk(42, i, n), 0))
  })

  it('exits 2 with a clear message for a bad --node', () => {
    const bad = run('--node', 'ssh://lab1?engines=lots')
    expect(bad.status).toBe(2)
    expect(bad.stderr).toMatch(/--node <spec>.*engine count/s)
  })
})
