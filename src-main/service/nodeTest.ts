/**
 * "Test" on the node form for a local node: checks that it could start, without starting it —
 * the Node.js executable runs and is recent enough, and the working directory exists. SSH nodes
 * are tested over SSH by `testSshNode` (sshNodes.ts).
 */
import { execFile } from 'node:child_process'
import { statSync } from 'node:fs'
import type { NodeInput, NodeTestResult } from './api'

/** Oldest Node.js the engines run on. */
const MIN_NODE_MAJOR = 18
const PROBE = 'const os = require("node:os"); JSON.stringify({ version: process.version, host: os.hostname(), cores: os.availableParallelism ? os.availableParallelism() : os.cpus().length })'

export async function testNode(input: NodeInput): Promise<NodeTestResult> {
  if (input.kind === 'ssh') {
    return { ok: false, message: `the SSH node ${input.ssh?.host ?? '?'} is tested over SSH (testSshNode), not as a local node` }
  }
  if (input.cwd) {
    const dir = statSync(input.cwd, { throwIfNoEntry: false })
    if (!dir?.isDirectory()) return { ok: false, message: `the working directory ${input.cwd} does not exist (or is not a directory)` }
  }
  const nodePath = input.nodePath || process.execPath
  let out: string
  try {
    out = await run(nodePath, ['-p', PROBE], input.cwd || undefined)
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { killed?: boolean }
    const why = e.code === 'ENOENT' ? 'not found' : e.code === 'EACCES' ? 'not executable' : e.killed ? 'it did not answer within 10 s' : e.message.split('\n')[0]
    return { ok: false, message: `cannot run Node.js at ${nodePath}: ${why}; set the node path to a Node.js ≥ ${MIN_NODE_MAJOR} executable` }
  }
  let facts: { version: string; host: string; cores: number }
  try {
    facts = JSON.parse(out) as typeof facts
  } catch {
    return { ok: false, message: `${nodePath} ran but did not answer like Node.js (got ${JSON.stringify(out.slice(0, 80))})` }
  }
  const major = Number(/^v(\d+)/.exec(facts.version)?.[1] ?? 0)
  const base = { host: facts.host, cores: facts.cores, nodeVersion: facts.version }
  if (major < MIN_NODE_MAJOR) return { ok: false, message: `Node.js ${facts.version} at ${nodePath} is too old: engines need ≥ ${MIN_NODE_MAJOR}`, ...base }
  return { ok: true, message: `${nodePath} is ready to run engines on ${facts.host}`, ...base }
}

function run(file: string, args: string[], cwd: string | undefined): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { cwd, timeout: 10_000, windowsHide: true, maxBuffer: 64 * 1024 }, (err, stdout) => (err ? reject(err) : resolve(stdout.trim())))
  })
}
