/**
 * `clusterdesk start / list / stop / pi --profile`: real daemons, agents and engines started by the
 * built CLI, each test in its own CLUSTERDESK_HOME; nothing of a test outlives it (cliProcess.ts).
 */
import { spawn } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { chunkSizes, piChunk, type PiResult } from '../../../src-main/experiments/pi/runPi'
import { waitGone } from '../../helpers/cluster'
import { freshHome, processesOf, root, runCli, waitNoProcesses } from './cliProcess'

interface Started {
  profile: string
  pid: number
  file: string | null
  log: string
  engines: Array<{ id: number; node: string; pid: number | null }>
}

interface Listed {
  profile: string
  state: 'running' | 'stale'
  pid: number | null
  engines: number
  clients: number
  uptimeS: number
}

const hitsFor = (seed: number, samples: number, tasks: number): number => chunkSizes(samples, tasks).reduce((s, n, i) => s + piChunk(seed, i, n), 0)

async function start(home: string, args: string[]): Promise<Started> {
  const r = await runCli(home, ['start', '--json', ...args])
  expect(r.stderr).toBe('')
  expect(r.code).toBe(0)
  return JSON.parse(r.stdout) as Started
}

async function list(home: string): Promise<Listed[]> {
  const r = await runCli(home, ['list', '--json'])
  expect(r.code).toBe(0)
  return JSON.parse(r.stdout) as Listed[]
}

const enginePids = (s: Started): number[] => s.engines.map((e) => e.pid).filter((p): p is number => p !== null)

describe('help', () => {
  it('lists start, list and stop, but not the daemon\'s own command', async () => {
    const r = await runCli(freshHome(), ['--help'])
    expect(r.code).toBe(0)
    for (const command of ['start', 'list', 'stop']) expect(r.stdout).toMatch(new RegExp(`\\n  ${command} \\[options\\]`))
    expect(r.stdout).not.toContain('_daemon')
    const start = await runCli(freshHome(), ['start', '--help'])
    expect(start.stdout).toContain("connect({ profile: 'lab' })")
  })
})

describe('clusterdesk start', () => {
  it('returns once the engines are up, leaving a detached daemon that logs no key', async () => {
    const home = freshHome()
    const started = await start(home, ['-n', '2', '--profile', 'lab'])
    expect(started.profile).toBe('lab')
    expect(started.engines.map((e) => e.id)).toEqual([0, 1])
    // The command has exited; the daemon and its engines run on, the daemon leading its own group.
    const running = processesOf(home)
    expect(running).toContain(started.pid)
    for (const pid of enginePids(started)) expect(running).toContain(pid)
    const stat = readFileSync(`/proc/${started.pid}/stat`, 'utf8')
    expect(Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2])).toBe(started.pid)
    expect(started.log).toBe(join(home, 'profiles', 'lab', 'controller.log'))
    expect(statSync(started.log).mode & 0o777).toBe(0o600)
    const log = readFileSync(started.log, 'utf8')
    expect(log).toContain('engines up')
    if (started.file) {
      const { key } = JSON.parse(readFileSync(started.file, 'utf8')) as { key: string }
      expect(log).not.toContain(key)
      expect(readFileSync(`/proc/${started.pid}/cmdline`, 'utf8')).not.toContain(key)
    }
  })

  it('prints the profile, the pid, the connection file and a line of code to connect', async () => {
    const home = freshHome()
    const r = await runCli(home, ['start', '-n', '1', '--profile', 'lab'])
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/profile 'lab' is running with 1 engine\n/)
    expect(r.stdout).toMatch(/controller pid: +\d+/)
    expect(r.stdout).toContain("import { connect } from 'clusterdesk'; const rc = await connect({ profile: 'lab' })")
    expect(r.stdout).toContain('clusterdesk stop --profile lab')
  })

  it('fails with the daemon\'s error and leaves nothing running when the engines cannot start', async () => {
    const home = freshHome()
    const r = await runCli(home, ['start', '--profile', 'bad', '--node', 'local:1', '--node-path', '/bin/true'])
    expect(r.code).toBe(1)
    expect(r.stdout).toBe('')
    expect(r.stderr).toMatch(/handshake/)
    expect(r.stderr).toContain("is '/bin/true' Node.js >= 18?")
    expect(await waitNoProcesses(home)).toEqual([])
  })

  it.each([
    [['--profile', '../etc'], '--profile'],
    [['-n', '0'], '--engines'],
    [['--node', 'ftp://x'], '--node'],
    [['--listen', 'nonsense'], '--listen'],
  ])('%j is bad usage (exit 2), naming %s, and starts nothing', async (args, option) => {
    const home = freshHome()
    const r = await runCli(home, ['start', ...args])
    expect(r.code).toBe(2)
    expect(r.stderr).toContain(option)
    expect(processesOf(home)).toEqual([])
  })

  it('Ctrl-C while the engines start stops the daemon: exit 130, nothing left', async () => {
    const home = freshHome()
    // A "Node.js" that never answers the handshake keeps the start waiting.
    const silent = join(home, 'silent-node')
    writeFileSync(silent, `#!/bin/sh\nexec '${process.execPath}' -e 'setTimeout(() => {}, 60000)' "$@"\n`, { mode: 0o755 })
    let cliPid = 0
    const running = runCli(home, ['start', '--profile', 'lab', '--node', 'local:1', '--node-path', silent], (pid) => (cliPid = pid))
    // Wait for the daemon and its would-be agent, then press Ctrl-C.
    const deadline = Date.now() + 10_000
    while (processesOf(home).filter((p) => p !== cliPid).length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100))
    expect(processesOf(home).filter((p) => p !== cliPid).length).toBeGreaterThanOrEqual(2)
    process.kill(cliPid, 'SIGINT')
    const r = await running
    expect(r.code).toBe(130)
    expect(await waitNoProcesses(home)).toEqual([])
  })

  it('a daemon stopped with SIGTERM (stop\'s fallback) stops its engines and exits', async () => {
    const home = freshHome()
    const started = await start(home, ['-n', '1', '--profile', 'lab'])
    process.kill(started.pid, 'SIGTERM')
    expect(await waitGone([started.pid, ...enginePids(started)])).toEqual([])
    expect(readFileSync(started.log, 'utf8')).toMatch(/stopping \(SIGTERM\)\n.*stopped: no engine or agent left\n/)
    expect(await waitNoProcesses(home)).toEqual([])
  })

  it('a daemon killed with kill -9 takes its engines with it within seconds', async () => {
    const home = freshHome()
    const started = await start(home, ['-n', '2', '--profile', 'lab'])
    expect(enginePids(started)).toHaveLength(2)
    process.kill(started.pid, 'SIGKILL')
    // The agents see their stdio close and kill their engines.
    expect(await waitGone([started.pid, ...enginePids(started)], 10_000)).toEqual([])
    expect(await waitNoProcesses(home)).toEqual([])
    const stale = await list(home)
    expect(stale).toEqual([expect.objectContaining({ profile: 'lab', state: 'stale', pid: started.pid })])
    expect(await list(home)).toEqual([])
    const again = await start(home, ['-n', '1', '--profile', 'lab'])
    expect(again.pid).not.toBe(started.pid)
  })
})

describe('a running profile', () => {
  it('start → list → pi --profile → list → stop → list: same hits as a local run, nothing left', async () => {
    const home = freshHome()
    const started = await start(home, ['-n', '2', '--profile', 'lab'])
    const listed = await list(home)
    expect(listed).toEqual([{ profile: 'lab', state: 'running', pid: started.pid, engines: 2, clients: expect.any(Number), uptimeS: expect.any(Number) }])

    const pi = await runCli(home, ['pi', '--profile', 'lab', '--samples', '2e6', '--tasks', '8', '--seed', '7', '--json'])
    expect(pi.code).toBe(0)
    const result = JSON.parse(pi.stdout) as PiResult
    expect(result.hits).toBe(hitsFor(7, 2e6, 8))
    expect(result.engines).toBe(2)

    const after = await list(home)
    expect(after).toEqual([expect.objectContaining({ profile: 'lab', state: 'running', pid: started.pid, engines: 2 })])
    const table = await runCli(home, ['list'])
    expect(table.stdout).toMatch(/^PROFILE +STATE +PID +ENGINES +CLIENTS +UPTIME\nlab +running +\d+ +2 +\d+ +\d+s/)

    const stop = await runCli(home, ['stop', '--profile', 'lab'])
    expect(stop.code).toBe(0)
    expect(stop.stdout).toContain(`stopped profile 'lab' (controller pid ${started.pid})`)
    expect(await waitGone([started.pid, ...enginePids(started)])).toEqual([])
    expect(await list(home)).toEqual([])
    expect(await waitNoProcesses(home)).toEqual([])
  })

  it('Ctrl-C during pi --profile leaves the cluster running and usable', async () => {
    const home = freshHome()
    const started = await start(home, ['-n', '2', '--profile', 'lab'])
    let piPid = 0
    const long = runCli(home, ['pi', '--profile', 'lab', '--samples', '4e9', '--tasks', '256'], (pid) => (piPid = pid))
    // Interrupt once the run's client has connected.
    const deadline = Date.now() + 10_000
    while (Date.now() < deadline && !(await list(home)).some((p) => p.clients > 0)) await new Promise((r) => setTimeout(r, 200))
    process.kill(piPid, 'SIGINT')
    const r = await long
    expect(r.code).toBe(130)
    expect(await list(home)).toEqual([expect.objectContaining({ profile: 'lab', state: 'running', pid: started.pid, engines: 2 })])
    for (const pid of enginePids(started)) expect(processesOf(home)).toContain(pid)
    const pi = await runCli(home, ['pi', '--profile', 'lab', '--samples', '1e5', '--tasks', '4', '--json'])
    expect(pi.code).toBe(0)
    expect((JSON.parse(pi.stdout) as PiResult).hits).toBe(hitsFor(42, 1e5, 4))
  })

  it('start --listen publishes a TCP address that pi --profile connects to', async () => {
    const home = freshHome()
    const started = await start(home, ['-n', '1', '--profile', 'tcp', '--listen', '127.0.0.1:0'])
    const { address } = JSON.parse(readFileSync(started.file!, 'utf8')) as { address: { host: string; port: number } }
    expect(address.host).toBe('127.0.0.1')
    expect(address.port).toBeGreaterThan(0)
    const pi = await runCli(home, ['pi', '--profile', 'tcp', '--samples', '1e5', '--tasks', '4', '--json'])
    expect(pi.code).toBe(0)
    expect((JSON.parse(pi.stdout) as PiResult).hits).toBe(hitsFor(42, 1e5, 4))
  })

  it('a second start of a running profile is refused and the first keeps running', async () => {
    const home = freshHome()
    const started = await start(home, ['-n', '1', '--profile', 'lab'])
    const again = await runCli(home, ['start', '-n', '1', '--profile', 'lab'])
    expect(again.code).toBe(1)
    expect(again.stderr).toContain(`profile 'lab' is already running (pid ${started.pid}): stop it with \`clusterdesk stop --profile lab\``)
    expect(await list(home)).toEqual([expect.objectContaining({ profile: 'lab', state: 'running', engines: 1 })])
  })

  it('start --node on a running profile adds the node to it', async () => {
    const home = freshHome()
    await start(home, ['-n', '1', '--profile', 'lab'])
    const add = await runCli(home, ['start', '--profile', 'lab', '--node', 'local:1'])
    expect(add.code).toBe(0)
    expect(add.stdout).toContain("added 1 node to profile 'lab'")
    expect(await list(home)).toEqual([expect.objectContaining({ profile: 'lab', state: 'running', engines: 2 })])
  })

  it('stop of a profile that is not running exits 1 saying so; stop --all with none running is fine', async () => {
    const home = freshHome()
    const r = await runCli(home, ['stop', '--profile', 'lab'])
    expect(r.code).toBe(1)
    expect(r.stderr).toContain("no cluster is running under profile 'lab'")
    const all = await runCli(home, ['stop', '--all'])
    expect(all.code).toBe(0)
    expect(all.stderr).toContain('nothing to stop')
  })

  it('stop --all stops every profile', async () => {
    const home = freshHome()
    const a = await start(home, ['-n', '1', '--profile', 'a'])
    const b = await start(home, ['-n', '1', '--profile', 'b'])
    const r = await runCli(home, ['stop', '--all'])
    expect(r.code).toBe(0)
    expect(await waitGone([a.pid, b.pid, ...enginePids(a), ...enginePids(b)])).toEqual([])
    expect(await waitNoProcesses(home)).toEqual([])
  })

  it('start refuses a wedged controller; stop kills it with its process group and removes its connection file', async () => {
    const home = freshHome()
    const started = await start(home, ['-n', '1', '--profile', 'lab'])
    // A stopped process answers nothing and ignores SIGTERM until it is continued.
    process.kill(started.pid, 'SIGSTOP')
    // A new start would leave the stuck one running unseen: refused.
    const again = await runCli(home, ['start', '-n', '1', '--profile', 'lab'])
    expect(again.code).toBe(1)
    expect(again.stderr).toContain(`profile 'lab' is already running (pid ${started.pid}) but does not answer: stop it with \`clusterdesk stop --profile lab\``)
    const r = await runCli(home, ['stop', '--profile', 'lab', '--timeout', '1'])
    expect(r.code).toBe(0)
    expect(r.stderr).toContain('sending SIGKILL')
    expect(await waitGone([started.pid, ...enginePids(started)])).toEqual([])
    expect(existsSync(started.file!)).toBe(false)
    expect(await list(home)).toEqual([])
    expect(await waitNoProcesses(home)).toEqual([])
  })

  it('pi --profile of a profile that is not running says how to start it', async () => {
    const home = freshHome()
    const r = await runCli(home, ['pi', '--profile', 'lab', '--samples', '1000', '--tasks', '2'])
    expect(r.code).toBe(1)
    expect(r.stderr).toContain("no cluster is running under profile 'lab'")
    expect(r.stderr).toContain('clusterdesk start --profile lab')
  })

  it('an unreadable connection file is a clear error for pi and list; start says so and writes a new one', async () => {
    const home = freshHome()
    const dir = join(home, 'profiles', 'lab')
    mkdirSync(dir, { recursive: true, mode: 0o700 })
    writeFileSync(join(dir, 'cluster.json'), '{ not json', { mode: 0o600 })
    const pi = await runCli(home, ['pi', '--profile', 'lab', '--samples', '1000', '--tasks', '2'])
    expect(pi.code).toBe(1)
    expect(pi.stderr).toContain(`cannot read the connection file of profile 'lab' (${join(dir, 'cluster.json')})`)
    const table = await runCli(home, ['list'])
    expect(table.code).toBe(0)
    expect(table.stdout).toMatch(/\nlab +stale +- /)
    expect(table.stderr).toContain('cannot read the connection file')
    const started = await runCli(home, ['start', '-n', '1', '--profile', 'lab', '--json'])
    expect(started.code).toBe(0)
    expect(started.stderr).toContain('cannot read the connection file')
    expect(await list(home)).toEqual([expect.objectContaining({ profile: 'lab', state: 'running', engines: 1 })])
  })

  it('stop of a script\'s own published cluster stops its engines and leaves the script running', async () => {
    const home = freshHome()
    const script = join(home, 'script.mjs')
    writeFileSync(
      script,
      `import { Cluster } from ${JSON.stringify(join(root, 'dist/index.js'))}\n` +
        `const cluster = new Cluster({ nodes: [{ kind: 'local', engines: 1 }], profile: 'mine' })\n` +
        `const rc = await cluster.start()\nconsole.log(JSON.stringify(rc.engines.map((e) => e.pid)))\nsetInterval(() => {}, 1000)\n`,
    )
    const child = spawn(process.execPath, [script], { cwd: root, env: { ...process.env, CLUSTERDESK_HOME: home }, stdio: ['ignore', 'pipe', 'inherit'] })
    const pids = await new Promise<number[]>((resolve) => child.stdout.once('data', (d: Buffer) => resolve(JSON.parse(String(d)) as number[])))
    const r = await runCli(home, ['stop', '--profile', 'mine'])
    expect(r.code).toBe(0)
    expect(await waitGone(pids)).toEqual([])
    expect(existsSync(join(home, 'profiles', 'mine', 'cluster.json'))).toBe(false)
    expect(child.exitCode).toBeNull()
    child.kill('SIGKILL')
  })

  it('a connection file with a wrong mode is a clear error', async () => {
    const home = freshHome()
    const started = await start(home, ['-n', '1', '--profile', 'lab'])
    const { chmodSync } = await import('node:fs')
    chmodSync(started.file!, 0o644)
    const r = await runCli(home, ['pi', '--profile', 'lab', '--samples', '1000', '--tasks', '2'])
    expect(r.code).toBe(1)
    expect(r.stderr).toMatch(/has mode 0644.*readable by you alone: run `chmod 600/)
    expect(r.stderr).toContain(started.file!)
    // list shows it stale and why, and leaves the file (and its running controller) alone.
    const table = await runCli(home, ['list'])
    expect(table.stdout).toMatch(/\nlab +stale +- /)
    expect(table.stderr).toContain('has mode 0644')
  })
})

describe('pi --profile with bad input', () => {
  it.each([
    [['--node', 'local:1'], '--node'],
    [['--engines', '2'], '--engines'],
  ])('%j with --profile is bad usage (exit 2)', async (args, option) => {
    const home = freshHome()
    const r = await runCli(home, ['pi', '--profile', 'lab', ...args])
    expect(r.code).toBe(2)
    expect(r.stderr).toContain(`${option} cannot be used with --profile`)
  })
})
