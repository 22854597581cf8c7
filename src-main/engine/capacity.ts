/**
 * How many engines a node can hold, as its agent sees the machine: enough memory for each, and
 * enough file descriptors for the agent to relay them. Reported in the agent's hello, so the
 * controller refuses a count the node cannot hold before it starts any engine.
 */
import { readFileSync } from 'node:fs'
import os from 'node:os'

/**
 * Memory counted per engine: an idle engine's private memory is about 20 MB (its ~55 MB RSS is
 * mostly the shared Node binary); the rest is room for it to do some work.
 */
export const ENGINE_MEMORY_BYTES = 50 * 2 ** 20
/** File descriptors the agent holds per engine (stdout, stderr, the fd 3 socket), with margin. */
const FDS_PER_ENGINE = 4
/** Descriptors kept for the agent's own use (stdio, the event loop, spawning). */
const FDS_RESERVED = 64

export interface EngineCapacity {
  /** Most engines the node can run at once. */
  engines: number
  /** Why no more, as a sentence part: `23.1 GiB of memory is available, enough for …`. */
  why: string
}

/** The capacity from the machine's available memory and this process's open-file limit. */
export function engineCapacity(availableBytes = os.freemem(), fdLimit = openFileLimit()): EngineCapacity {
  const byMemory = Math.max(1, Math.floor(availableBytes / ENGINE_MEMORY_BYTES))
  const memoryWhy =
    `${(availableBytes / 2 ** 30).toFixed(1)} GiB of memory is available, enough for ${byMemory} engines ` +
    `at ${ENGINE_MEMORY_BYTES / 2 ** 20} MB each`
  if (fdLimit === null) return { engines: byMemory, why: memoryWhy }
  const byFds = Math.max(1, Math.floor((fdLimit - FDS_RESERVED) / FDS_PER_ENGINE))
  if (byFds >= byMemory) return { engines: byMemory, why: memoryWhy }
  return {
    engines: byFds,
    why: `the node agent may open ${fdLimit} files (ulimit -n), enough for ${byFds} engines at ${FDS_PER_ENGINE} each`,
  }
}

/** The soft RLIMIT_NOFILE on Linux (from /proc); null where it cannot be read. */
function openFileLimit(): number | null {
  try {
    const limits = readFileSync('/proc/self/limits', 'utf8')
    const soft = /^Max open files\s+(\d+|unlimited)/m.exec(limits)?.[1]
    return soft === undefined || soft === 'unlimited' ? null : Number(soft)
  } catch {
    return null
  }
}
