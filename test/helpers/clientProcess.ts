/** Client (or controller) scripts in their own processes, importing the built library; killed after each test. */
import { spawn, type ChildProcess } from 'node:child_process'
import { join } from 'node:path'
import { afterEach } from 'vitest'

const children: ChildProcess[] = []
afterEach(() => {
  for (const c of children.splice(0)) c.kill('SIGKILL')
})

/** Runs a client script (importing the built library) in its own process; resolves at its first line. */
export function clientProcess(body: string): Promise<{ child: ChildProcess; line: string }> {
  const script = `import { connect, Cluster } from ${JSON.stringify(join(process.cwd(), 'dist/index.js'))}\n${body}`
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env } })
  children.push(child)
  return new Promise((resolve, reject) => {
    child.stdout!.once('data', (d: Buffer) => resolve({ child, line: d.toString().trim() }))
    child.once('exit', (code) => reject(new Error(`the client process exited early (${code})`)))
  })
}

export const exited = (child: ChildProcess): Promise<void> => new Promise((r) => (child.exitCode !== null || child.signalCode !== null ? r() : child.once('exit', () => r())))

