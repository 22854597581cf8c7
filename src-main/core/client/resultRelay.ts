/**
 * The FrameRelay of a node's streams in the controller: a large 'ok' result of a connected
 * client's task goes on to that client as its bytes arrive (see ClientSession), instead of being
 * received whole first. Once the frame is complete, the result is handled like any other: its
 * message (read from the head; its typed arrays are RawSection placeholders, which the controller
 * never reads) goes to onEngineMessage with the head as its frame.
 */
import { frameEngine, readFrameHead } from '../protocol/codec'
import type { FrameRelay, FrameSink } from '../protocol/FrameReader'
import { checkFromEngine } from '../protocol/guards'
import type { FromEngine, ResultMessage } from '../protocol/messages'

export interface ResultRelayEvents {
  /** True while some result may be relayed (a connected client is there). */
  relayWanted?(): boolean
  /** Where a large 'ok' result's frame goes (head first, then the rest as it arrives), or null. */
  relayResult?(engine: number, message: ResultMessage, size: number): FrameSink | null
  onEngineMessage(engine: number, message: FromEngine, frame: Uint8Array): void
}

export interface ResultRelay extends FrameRelay {
  /**
   * A stream ended (`engine`'s channel, or the whole node stream): the frames it was relaying
   * are padded to their announced length, so the client's stream stays whole; their tasks end
   * as the engine's fate decides (EngineError when it died).
   */
  cut(engine?: number): void
}

/** `accepts`: the engines whose frames this stream may carry (others are received as usual). */
export function resultRelay(accepts: (engine: number) => boolean, events: () => ResultRelayEvents | null): ResultRelay {
  const active = new Set<{ engine: number; cut(): void }>()
  return {
    wanted: () => events()?.relayWanted?.() === true,
    sink: (head, size) => {
      const engine = frameEngine(head)
      if (!accepts(engine)) return null
      const message = readFrameHead(head)?.message as FromEngine | undefined
      if (message === undefined || checkFromEngine(message) || message.type !== 'result' || message.status !== 'ok') return null
      const out = events()?.relayResult?.(engine, message, size) ?? null
      if (out === null) return null
      let filled = 0
      const entry = {
        engine,
        cut: () => {
          active.delete(entry)
          if (filled < size) out(new Uint8Array(size - filled))
          filled = size
        },
      }
      active.add(entry)
      return (bytes) => {
        if (filled === size) return
        out(bytes)
        filled += bytes.byteLength
        if (filled < size) return
        active.delete(entry)
        events()?.onEngineMessage(engine, message, head)
      }
    },
    cut: (engine) => {
      for (const entry of [...active]) if (engine === undefined || entry.engine === engine) entry.cut()
    },
  }
}
