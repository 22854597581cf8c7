/**
 * A tiny worker thread that makes interrupts cheap and safe, and kills the engine when it is
 * orphaned.
 *
 * Cheap: `breakOnSigint` starts Node's process-wide SIGINT watchdog thread when none is running
 * and joins it afterwards — ~70 µs per script run (125 µs with a `process.on('SIGINT')`
 * listener), far over the budget of a trivial task. The worker keeps a watchdog running for the
 * engine's lifetime, so the engine's own interruptible runs only bump a counter (~0.1 µs).
 * Safe: with a watchdog always active, SIGINT never takes its default action (exit). Node hands
 * SIGINT to the most recently started watchdog: the engine's while user code runs (that script
 * stops with ERR_SCRIPT_EXECUTION_INTERRUPTED), else the worker's, which then tells the engine
 * (an async task that is awaiting fails as interrupted; an idle engine ignores it). The worker
 * nests two watchdogs so that one stays active while it re-arms the other.
 * Spinning after an await: code that loops after an `await` runs outside any interruptible
 * script, so the SIGINT goes to the worker, whose message the busy main thread never reads. The
 * main thread therefore ticks a shared counter while an async task is being awaited (only then,
 * so that idle engines never wake: 256 of them ticking took a quarter of 2 cores); when the
 * counter stands still for UNRESPONSIVE_MS after a SIGINT, the worker stops the main thread's
 * JavaScript through the inspector (`Runtime.terminateExecution`, as a debugger's "stop"). The
 * event loop then goes on, reads the worker's message and fails the task as interrupted. It is
 * kept for that case only: V8 drops the rest of the microtask checkpoint it stops.
 * Orphans: a main thread spinning in `while (true) {}` cannot notice that its agent died; the
 * worker checks `process.ppid` every 500 ms and SIGKILLs the engine when it changed.
 * Liveness: on the same beat the worker writes one byte to the agent's liveness pipe. It keeps
 * beating while user code keeps the main thread busy, and stops when the process is stopped
 * (SIGSTOP) or wedged as a whole, which is what the agent reports as "not responding".
 *
 * The engine must therefore never add a `process.on('SIGINT')` listener of its own.
 */
import { Worker } from 'node:worker_threads'

const ORPHAN_POLL_MS = 500
/** How often the main thread ticks the shared counter. */
const TICK_MS = 50
/** No tick for this long after a SIGINT, with an async task awaited: the main thread is spinning. */
const UNRESPONSIVE_MS = 400
/** Shared Int32Array cells: an async task is awaited (0/1), and the main thread's tick count. */
const AWAITING = 0
const TICKS = 1

const WORKER_SOURCE = `
const vm = require('node:vm')
const { parentPort, workerData } = require('node:worker_threads')
const cell = new Int32Array(new SharedArrayBuffer(4))
const shared = new Int32Array(workerData.shared)
let inspectorSession = null
/** After telling the main thread of a SIGINT: stop its JavaScript if it is stuck in an awaited task. */
function unstick() {
  const ticks = Atomics.load(shared, ${TICKS})
  for (let waited = 0; waited < ${UNRESPONSIVE_MS}; waited += ${TICK_MS}) {
    Atomics.wait(cell, 0, 0, ${TICK_MS})
    if (Atomics.load(shared, ${TICKS}) !== ticks || Atomics.load(shared, ${AWAITING}) === 0) return
  }
  try {
    if (!inspectorSession) {
      inspectorSession = new (require('node:inspector').Session)()
      inspectorSession.connectToMainThread()
    }
    inspectorSession.post('Runtime.terminateExecution')
  } catch (err) {
    parentPort.postMessage('error: cannot stop code spinning after an await (' + (err && err.message) + ')')
  }
}
const beatByte = Buffer.from([1])
function beat() {
  if (workerData.livenessFd === null) return
  try {
    require('node:fs').writeSync(workerData.livenessFd, beatByte)
  } catch {
    // The agent is gone (the ppid check ends the engine) or not reading: the next beat may pass.
  }
}
const guard = {
  watch() {
    for (;;) {
      beat()
      Atomics.wait(cell, 0, 0, ${ORPHAN_POLL_MS})
      if (process.ppid !== workerData.ppid) process.kill(process.pid, 'SIGKILL')
    }
  },
  hold() {
    // The first beat comes before the engine may register: one stopped right after is noticed.
    beat()
    parentPort.postMessage('armed')
    for (;;) {
      try {
        inner.runInThisContext({ breakOnSigint: true })
      } catch (err) {
        const sigint = err && err.code === 'ERR_SCRIPT_EXECUTION_INTERRUPTED'
        parentPort.postMessage(sigint ? 'sigint' : 'error: ' + err)
        if (sigint) unstick()
      }
    }
  },
}
Object.defineProperty(globalThis, '__guard', { value: guard })
const inner = new vm.Script('__guard.watch()')
for (;;) {
  try {
    new vm.Script('__guard.hold()').runInThisContext({ breakOnSigint: true })
  } catch (err) {
    // Both watchdogs were interrupted (an older Node notifies every watchdog): re-arm.
    parentPort.postMessage('sigint')
  }
}
`

export interface SigintGuard {
  /** Resolves once SIGINT can no longer kill the engine (or the guard could not start). */
  armed: Promise<void>
  /** Tells the guard whether an async task is being awaited (only then may it stop a spin). */
  setAwaiting(awaiting: boolean): void
}

/**
 * Starts the guard. `onIdleSigint` runs when SIGINT arrived while no interruptible script was
 * running; `onProblem` receives a message when the guard cannot work.
 */
export function startSigintGuard(onIdleSigint: () => void, onProblem: (message: string) => void, livenessFd: number | null = null): SigintGuard {
  let resolveArmed!: () => void
  const armed = new Promise<void>((resolve) => (resolveArmed = resolve))
  const shared = new Int32Array(new SharedArrayBuffer(8))
  let ticking: NodeJS.Timeout | null = null
  const setAwaiting = (awaiting: boolean): void => {
    Atomics.store(shared, AWAITING, awaiting ? 1 : 0)
    if (awaiting && !ticking) ticking = setInterval(() => Atomics.add(shared, TICKS, 1), TICK_MS).unref()
    else if (!awaiting && ticking) {
      clearInterval(ticking)
      ticking = null
    }
  }
  let worker: Worker
  try {
    worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { ppid: process.ppid, shared: shared.buffer, livenessFd }, stdout: false, stderr: false })
  } catch (err) {
    onProblem(`cannot start the SIGINT guard thread: ${(err as Error).message}`)
    resolveArmed()
    return { armed, setAwaiting }
  }
  worker.unref()
  worker.on('message', (message: string) => {
    if (message === 'armed') resolveArmed()
    else if (message === 'sigint') onIdleSigint()
    else onProblem(`SIGINT guard: ${message}`)
  })
  worker.on('error', (err) => onProblem(`SIGINT guard failed: ${err.message}`))
  worker.on('exit', () => {
    onProblem('the SIGINT guard thread exited; interrupts may now kill this engine')
    resolveArmed()
  })
  return { armed, setAwaiting }
}
