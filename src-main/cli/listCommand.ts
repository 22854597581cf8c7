/**
 * `clusterdesk list [--json]`: every profile with a connection file — its state, controller pid,
 * engines, connected clients and uptime. A file whose controller is gone is shown as stale once
 * and removed (the library's listProfiles does that), so the next `start` of it just works.
 */
import { existsSync } from 'node:fs'
import { readConnectionFile } from '../cluster/profiles'
import { listProfiles, type ProfileStatus } from './remote'

export interface ListCommandOptions {
  json?: boolean
}

/** `3h 04m`, `12m 05s`, `42s`. */
export function formatUptime(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds))
  const pad = (n: number): string => String(n).padStart(2, '0')
  if (s >= 86400) return `${Math.floor(s / 86400)}d ${pad(Math.floor((s % 86400) / 3600))}h`
  if (s >= 3600) return `${Math.floor(s / 3600)}h ${pad(Math.floor((s % 3600) / 60))}m`
  if (s >= 60) return `${Math.floor(s / 60)}m ${pad(s % 60)}s`
  return `${s}s`
}

/** The profiles as a table with a header row, columns padded to their widest cell. */
export function formatProfiles(profiles: ProfileStatus[]): string {
  const rows = [
    ['PROFILE', 'STATE', 'PID', 'ENGINES', 'CLIENTS', 'UPTIME'],
    ...profiles.map((p) =>
      p.state === 'running'
        ? [p.profile, p.state, String(p.pid ?? '-'), String(p.engines ?? '-'), String(p.clients ?? '-'), p.uptimeS === null ? '-' : formatUptime(p.uptimeS)]
        : [p.profile, existsSync(p.file) ? 'stale' : 'stale (removed)', p.pid ? String(p.pid) : '-', '-', '-', '-'],
    ),
  ]
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)))
  return rows.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]))).join('  ')).join('\n')
}

export async function listCommand(options: ListCommandOptions): Promise<void> {
  const profiles = (await listProfiles()).sort((a, b) => a.profile.localeCompare(b.profile))
  if (options.json) {
    const rows = profiles.map(({ profile, state, pid, engines, clients, uptimeS }) => ({ profile, state, pid, engines, clients, uptimeS }))
    process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`)
    return
  }
  if (profiles.length === 0) {
    process.stdout.write('clusterdesk: no cluster is running (start one with `clusterdesk start -n 4`)\n')
    return
  }
  process.stdout.write(`${formatProfiles(profiles)}\n`)
  for (const p of profiles.filter((s) => s.state === 'stale')) process.stderr.write(`clusterdesk: ${staleNote(p)}\n`)
}

/** What is wrong with a stale profile, and what became of its connection file. */
export function staleNote(p: ProfileStatus): string {
  if (!existsSync(p.file)) return `profile '${p.profile}' had a stale connection file (controller pid ${p.pid} is gone); removed it.`
  if (!p.pid) {
    try {
      readConnectionFile({ profile: p.profile })
    } catch (err) {
      return `profile '${p.profile}': ${(err as Error).message}`
    }
  }
  return `profile '${p.profile}': its controller (pid ${p.pid}) is running but does not answer; \`clusterdesk stop --profile ${p.profile}\` stops it.`
}
