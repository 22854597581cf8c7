/**
 * How glibc's malloc behaves in an engine (GLIBC_TUNABLES, read once as the process starts;
 * ignored off Linux and by other C libraries). What an engine receives (a scatter's share, a pushed
 * array) lands in memory malloc hands out, and faulting fresh memory in cost more than the transfer
 * itself (2-core VM, 2026-12-04: 40 MB took 23-44 ms to fill fresh in 4 KiB pages, 5-11 ms with
 * huge pages, 90-110 ms whenever the kernel had to find the huge pages; 10 ms reused).
 */

/** The tunables engines get, unless the user's own GLIBC_TUNABLES names them. */
export const ENGINE_MALLOC_TUNABLES: ReadonlyArray<readonly [name: string, value: string]> = [
  // Transparent huge pages for what malloc maps: 512 times fewer faults on fresh memory.
  ['glibc.malloc.hugetlb', '1'],
  // Large blocks from the heap, not a mapping of their own that free() returns to the kernel: the
  // next share of the same size reuses the memory of the last one, with no fault at all. The price:
  // a freed block below a live one stays with the engine (reused, not returned) until it exits, so
  // an engine's RSS stays near its peak (200 MB shares freed: 252 MB, not 55 MB, measured).
  ['glibc.malloc.mmap_max', '0'],
  // Keeps up to this much free memory at the top of the heap (default 128 KiB), where a repeated
  // scatter finds it; a larger free top is returned as before.
  ['glibc.malloc.trim_threshold', String(128 * 2 ** 20)],
]

/** Where an engine finds the GLIBC_TUNABLES its user had ('' for none), to give them back. */
export const USER_TUNABLES_ENV = 'CLUSTERDESK_USER_GLIBC_TUNABLES'

/**
 * `env` with ENGINE_MALLOC_TUNABLES added to its GLIBC_TUNABLES (on Linux; elsewhere `env`), and
 * the user's own value kept aside for restoreUserTunables.
 */
export function withEngineMalloc(env: NodeJS.ProcessEnv, platform: NodeJS.Platform = process.platform): NodeJS.ProcessEnv {
  if (platform !== 'linux') return env
  const own = env.GLIBC_TUNABLES ?? ''
  const named = new Set(own.split(':').map((entry) => entry.split('=')[0]))
  const added = ENGINE_MALLOC_TUNABLES.filter(([name]) => !named.has(name)).map(([name, value]) => `${name}=${value}`)
  if (added.length === 0) return env
  return { ...env, GLIBC_TUNABLES: [own, ...added].filter(Boolean).join(':'), [USER_TUNABLES_ENV]: own }
}

/**
 * Gives an engine's environment back the user's GLIBC_TUNABLES once glibc has read them (as the
 * process started), so that user code sees, and the processes it starts inherit, the user's own.
 */
export function restoreUserTunables(env: NodeJS.ProcessEnv = process.env): void {
  const own = env[USER_TUNABLES_ENV]
  if (own === undefined) return
  if (own === '') delete env.GLIBC_TUNABLES
  else env.GLIBC_TUNABLES = own
  delete env[USER_TUNABLES_ENV]
}
