#!/usr/bin/env node
/**
 * Assembles the `simd` π kernel's WebAssembly (src-main/experiments/pi/piSimd.wat) and writes its
 * bytes, base64, into the `WASM` literal of piChunkSimd (simdKernel.ts): the kernel travels to
 * the engines by source, so it must carry its module itself. Run after editing the .wat:
 *   node scripts/build-pi-wasm.mjs          (or --check: exit 1 if the literal is stale)
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import wabtInit from 'wabt'

const watPath = fileURLToPath(new URL('../src-main/experiments/pi/piSimd.wat', import.meta.url))
const kernelPath = fileURLToPath(new URL('../src-main/experiments/pi/simdKernel.ts', import.meta.url))
const LITERAL = /const WASM =\s*'([A-Za-z0-9+/=]*)'/

/** The module's bytes, base64. */
export async function assemblePiSimd() {
  const wabt = await wabtInit()
  const module = wabt.parseWat('piSimd.wat', readFileSync(watPath, 'utf8'), { simd: true })
  try {
    module.validate({ simd: true })
    return Buffer.from(module.toBinary({}).buffer).toString('base64')
  } finally {
    module.destroy()
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const base64 = await assemblePiSimd()
  const source = readFileSync(kernelPath, 'utf8')
  const found = LITERAL.exec(source)
  if (!found) throw new Error(`${kernelPath} has no \`const WASM = '…'\` literal to write the module into`)
  if (found[1] === base64) {
    console.log(`simdKernel.ts already holds piSimd.wat (${Buffer.from(base64, 'base64').length} bytes)`)
  } else if (process.argv.includes('--check')) {
    console.error('simdKernel.ts holds a stale module: run node scripts/build-pi-wasm.mjs')
    process.exit(1)
  } else {
    writeFileSync(kernelPath, source.replace(LITERAL, `const WASM =\n    '${base64}'`))
    console.log(`wrote ${Buffer.from(base64, 'base64').length} bytes of piSimd.wat into simdKernel.ts`)
  }
}
