/**
 * Resident memory of a local process, read from Linux's /proc/<pid>/statm (resident pages ×
 * page size). Elsewhere (macOS, Windows, remote engines) memory is unknown: null.
 */
import { readFileSync } from 'node:fs'

let pageSize: number | null | undefined

/**
 * The page size, found by comparing this process's resident pages with the RSS Node reports
 * (Node has no sysconf; pages are 4 KiB on x86 but can be 16 or 64 KiB on ARM).
 */
function systemPageSize(): number | null {
  if (pageSize !== undefined) return pageSize
  try {
    const pages = Number(readFileSync('/proc/self/statm', 'utf8').split(' ')[1])
    const ratio = process.memoryUsage.rss() / pages
    pageSize = 2 ** Math.round(Math.log2(ratio))
  } catch {
    pageSize = null
  }
  return pageSize
}

/** Resident bytes of process `pid`, or null when it cannot be known (not Linux, gone). */
export function readRss(pid: number): number | null {
  const size = systemPageSize()
  if (size === null) return null
  try {
    const resident = Number(readFileSync(`/proc/${pid}/statm`, 'utf8').split(' ')[1])
    return Number.isFinite(resident) ? resident * size : null
  } catch {
    return null
  }
}
