import type { Transport } from '../core/protocol/transport'

/** A started node agent: its stream, and a way to make sure it is gone. */
export interface LaunchedAgent {
  transport: Transport
  /** Resolves when the agent process (or channel) has ended. */
  exited: Promise<void>
  /** Ends the agent at once (SIGKILL, closing the channel); safe to call twice. */
  kill(): void
  /** What the agent wrote to its stderr lately (for error messages). */
  stderrTail(): string
  /** How the agent process ended (`exited with code 1`), once it has; null while it runs or when unknown. */
  exitDescription?(): string | null
  /**
   * Local nodes only: hands on each engine's direct channel to the controller, once the engine
   * has said hello with the launcher's token (connections made before the call are handed on at
   * once). Absent where all engine traffic goes through the agent's stream (SSH nodes).
   */
  onDirect?(listener: (engine: number, transport: Transport) => void): void
}

/** Starts a node agent somewhere: one interface, thin subclasses per kind of node. */
export interface Launcher {
  /** A short name for messages and the GUI (`local`, `ssh://bo@lab1:22`). */
  readonly label: string
  launch(): Promise<LaunchedAgent>
}

/** Keeps the last `max` characters written to a stream, for crash reports. */
export class TailBuffer {
  private text = ''
  constructor(private readonly max = 4096) {}
  push(chunk: Buffer | string): void {
    this.text = (this.text + chunk.toString()).slice(-this.max)
  }
  toString(): string {
    return this.text
  }
}
