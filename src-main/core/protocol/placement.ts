/**
 * Placement: a large result's raw sections received straight into memory chosen for them (a
 * gather's joined array, say) instead of a fresh frame. The code that awaits a result offers a
 * placer for its task id; FrameReader, once a large frame's head is in, asks placeFrame where the
 * rest goes.
 */
import { readFrameHead, setPlacedViews, type RawSection } from './codec'

/**
 * Chooses where the raw sections of one task's result go: one destination of exactly each
 * section's byteLength, or null to receive the frame as usual. `message` is the decoded body, with
 * RawSection objects where the typed arrays will be.
 */
export type RawPlacer = (engine: number, message: unknown, sections: RawSection[]) => Uint8Array[] | null

/** Where the bytes of a placed frame go, by position in the frame. */
export interface FramePlacement {
  /** The frame's header and body (what `decodeFrame` is given once the frame is complete). */
  head: Uint8Array
  /** Frame positions `[at, at + bytes.byteLength)` go to `bytes`; ascending, not overlapping. */
  targets: Array<{ at: number; bytes: Uint8Array }>
}

/** Frames at least this large are offered for placement; smaller ones are not worth it. */
export const PLACEMENT_MIN_BYTES = 1 << 20
/** Task ids of the controller's own (in-process) client are below this (TASKS_PER_CLIENT). */
const OWN_CLIENT_TASK_IDS = 2 ** 32
/**
 * Which tasks' results a reader may place: by default those of the client inside the
 * controller's process. The results of connected clients' tasks are relayed by the controller
 * byte for byte, so its readers must receive them whole, even when such a client (with its own
 * placements) lives in the same process; a connected client's reader places its own (openRemote).
 */
export const ownClientTask = (id: number): boolean => id < OWN_CLIENT_TASK_IDS
const placers = new Map<number, RawPlacer>()

/** Offers the result of task `id` for placement until `unplaceResult(id)`. */
export function placeResult(id: number, placer: RawPlacer): void {
  placers.set(id, placer)
}

export function unplaceResult(id: number): void {
  placers.delete(id)
}

/** True when some task's result is waiting to be placed (FrameReader asks before collecting a head). */
export function placementWanted(): boolean {
  return placers.size > 0
}

/**
 * Reads the body of a frame whose raw sections have not arrived (`head`: its first
 * `frameRawStart` bytes) and asks the placer of its task where they go, if the reader may place
 * that task's result (`placeable`). Null: receive it as usual.
 * A placed frame, once complete, is decoded from `head` alone: its typed arrays are views onto
 * the destinations.
 */
export function placeFrame(head: Uint8Array, placeable: (id: number) => boolean = ownClientTask): FramePlacement | null {
  const view = new DataView(head.buffer, head.byteOffset, head.byteLength)
  const read = readFrameHead(head)
  if (read === null) return null
  const { message, sections } = read
  const id = (message as { type?: unknown; id?: unknown } | null)?.type === 'result' ? (message as { id: unknown }).id : null
  const placer = typeof id === 'number' && placeable(id) ? placers.get(id) : undefined
  if (placer === undefined || sections.length === 0) return null
  let destinations: Uint8Array[] | null
  try {
    destinations = placer(view.getInt32(4), message, sections)
  } catch {
    destinations = null
  }
  if (destinations === null || destinations.length !== sections.length) return null
  if (destinations.some((bytes, i) => bytes.byteLength !== sections[i].byteLength)) return null
  const rawStart = head.byteLength
  const size = view.getUint32(0) + 4
  if (sections.some((s) => !(s.offset >= 0 && rawStart + s.offset + s.byteLength <= size))) return null
  const placed = new Map<number, ArrayBufferView>()
  const targets: FramePlacement['targets'] = []
  sections.forEach((section, i) => {
    const bytes = destinations![i]
    placed.set(section.offset, new section.kind(bytes.buffer as ArrayBuffer, bytes.byteOffset, section.byteLength / section.kind.BYTES_PER_ELEMENT))
    targets.push({ at: rawStart + section.offset, bytes })
  })
  targets.sort((a, b) => a.at - b.at)
  placers.delete(id as number)
  const own = new Uint8Array(head)
  setPlacedViews(own.buffer, placed)
  return { head: own, targets }
}
