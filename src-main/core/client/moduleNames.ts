import { UsageError } from './errors'

/**
 * The global name a module is bound to by `require(...)` (the lecture's `sync_imports`):
 * `node:os` → `os`, `lodash` → `lodash`, `@scope/some-pkg` → `somePkg`, `lodash/fp` → `fp`.
 */
export function moduleGlobalName(spec: string): string {
  if (typeof spec !== 'string' || spec.trim() === '') throw new UsageError(`a module name must be a non-empty string, got ${JSON.stringify(spec)}`)
  const last = spec.replace(/^node:/, '').split('/').filter(Boolean).pop() ?? spec
  const base = last.replace(/\.(c|m)?js$/, '')
  const camel = base.replace(/[^A-Za-z0-9_$]+(.)?/g, (_, c: string | undefined) => (c ? c.toUpperCase() : ''))
  const name = /^[0-9]/.test(camel) ? `_${camel}` : camel
  if (!name) throw new UsageError(`cannot derive a global name from module '${spec}'; pass { alias: '${spec}' }`)
  return name
}

/** Normalises `require('a', 'b', { alias: 'c' })` to `{ name: spec }`. */
export function moduleBindings(modules: Array<string | Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {}
  for (const m of modules) {
    if (typeof m === 'string') out[moduleGlobalName(m)] = m
    else if (m && typeof m === 'object') {
      for (const [alias, spec] of Object.entries(m)) {
        if (!/^[A-Za-z_$][\w$]*$/.test(alias)) throw new UsageError(`'${alias}' is not a valid global name for module '${spec}'`)
        if (typeof spec !== 'string') throw new UsageError(`module for alias '${alias}' must be a string`)
        out[alias] = spec
      }
    } else throw new UsageError(`require() takes module names or { alias: 'module' } objects, got ${JSON.stringify(m)}`)
  }
  return out
}
