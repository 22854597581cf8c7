/** The `simd` π kernel's module (src-main/experiments/pi/piSimd.wat) assembled, as base64. */
export function assemblePiSimd(): Promise<string>
