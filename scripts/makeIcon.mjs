// Draws resources/icon.png (512x512 RGBA, the least macOS accepts for an app
// icon): the Monte Carlo π picture — a quarter disc in a rounded square, with
// sample points inside and outside. Run once by hand (`node scripts/makeIcon.mjs`);
// the PNG is committed.
import { writeFileSync } from 'node:fs'
import { deflateSync } from 'node:zlib'

const SIZE = 512
// The drawing is laid out on a 256-unit square and scaled to SIZE pixels.
const UNIT = 256
const SCALE = SIZE / UNIT
const SUPERSAMPLE = 4 // per axis, for anti-aliased edges

const background = [30, 41, 82] // deep indigo
const disc = [56, 189, 248] // sky blue
const hit = [255, 255, 255]
const miss = [251, 146, 60] // orange

const margin = 40 // the plot square inside the icon
const plot = UNIT - 2 * margin

function insideRoundedSquare(x, y, radius = 52) {
  const dx = Math.max(radius - x, 0, x - (UNIT - radius))
  const dy = Math.max(radius - y, 0, y - (UNIT - radius))
  return dx * dx + dy * dy <= radius * radius
}

// A fixed, well-spread set of points (R2 low-discrepancy sequence).
const points = []
for (let i = 1; i <= 26; i++) {
  const u = (0.5 + i * 0.7548776662) % 1
  const v = (0.5 + i * 0.5698402910) % 1
  points.push({ x: margin + u * plot, y: margin + v * plot, inside: u * u + (1 - v) ** 2 <= 1 })
}

function colourAt(x, y) {
  if (!insideRoundedSquare(x, y)) return null
  for (const p of points) {
    if ((x - p.x) ** 2 + (y - p.y) ** 2 <= 5.5 ** 2) return p.inside ? hit : miss
  }
  // Quarter disc centred on the plot's bottom-left corner.
  const u = (x - margin) / plot
  const v = (UNIT - margin - y) / plot
  if (u >= 0 && v >= 0 && u <= 1 && v <= 1 && u * u + v * v <= 1) return disc
  return background
}

const rows = Buffer.alloc(SIZE * (1 + SIZE * 4))
for (let y = 0; y < SIZE; y++) {
  const row = y * (1 + SIZE * 4)
  rows[row] = 0 // filter: none
  for (let x = 0; x < SIZE; x++) {
    const sum = [0, 0, 0, 0]
    for (let sy = 0; sy < SUPERSAMPLE; sy++) {
      for (let sx = 0; sx < SUPERSAMPLE; sx++) {
        const c = colourAt((x + (sx + 0.5) / SUPERSAMPLE) / SCALE, (y + (sy + 0.5) / SUPERSAMPLE) / SCALE)
        if (!c) continue
        sum[0] += c[0]
        sum[1] += c[1]
        sum[2] += c[2]
        sum[3] += 255
      }
    }
    const n = SUPERSAMPLE * SUPERSAMPLE
    const covered = sum[3] / 255
    const at = row + 1 + x * 4
    for (let k = 0; k < 3; k++) rows[at + k] = covered ? Math.round(sum[k] / covered) : 0
    rows[at + 3] = Math.round(sum[3] / n)
  }
}

const crcTable = Array.from({ length: 256 }, (_, n) => {
  let c = n
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
  return c >>> 0
})
function crc32(buf) {
  let c = 0xffffffff
  for (const b of buf) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8)
  return (c ^ 0xffffffff) >>> 0
}
function chunk(type, data) {
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data])
  const out = Buffer.alloc(body.length + 8)
  out.writeUInt32BE(data.length, 0)
  body.copy(out, 4)
  out.writeUInt32BE(crc32(body), body.length + 4)
  return out
}

const header = Buffer.alloc(13)
header.writeUInt32BE(SIZE, 0)
header.writeUInt32BE(SIZE, 4)
header[8] = 8 // bit depth
header[9] = 6 // colour type: RGBA
const png = Buffer.concat([
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
  chunk('IHDR', header),
  chunk('IDAT', deflateSync(rows, { level: 9 })),
  chunk('IEND', Buffer.alloc(0))
])
const target = new URL('../resources/icon.png', import.meta.url)
writeFileSync(target, png)
console.log(`wrote ${target.pathname} (${png.length} bytes)`)
