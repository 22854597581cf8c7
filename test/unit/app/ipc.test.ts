import { beforeEach, describe, expect, test, vi } from 'vitest'
import type { ServiceEvent } from '../../../src-main/service/api'
import type { EventListener } from '../../../src-main/service/eventBus'

// Main-process code runs here with Electron stood in: ipcMain records its handlers.
const electron = vi.hoisted(() => ({ handlers: new Map<string, (...args: unknown[]) => unknown>() }))
vi.mock('electron', () => ({
  ipcMain: {
    handle: (channel: string, fn: (...args: unknown[]) => unknown) => electron.handlers.set(channel, fn),
    removeHandler: (channel: string) => electron.handlers.delete(channel),
  },
}))

const { registerIpc } = await import('../../../src-main/app/ipc')
const { CALL_CHANNEL, EVENTS_CHANNEL } = await import('../../../src-main/app/channels')

/** A stand-in service that records calls and lets the test push event batches. */
function fakeService() {
  const calls: Array<[string, unknown[]]> = []
  const listeners = new Set<EventListener>()
  const record =
    (name: string, value: unknown = undefined) =>
    async (...args: unknown[]) => {
      calls.push([name, args])
      return value
    }
  const service = {
    snapshot: record('snapshot', { version: 'test' }),
    saveNode: record('saveNode', { id: 'n1' }),
    deleteNode: record('deleteNode'),
    testNode: record('testNode'),
    startNode: record('startNode'),
    stopNode: record('stopNode'),
    reconnectNode: record('reconnectNode'),
    trustHostKey: record('trustHostKey'),
    stopEngine: record('stopEngine'),
    restartEngine: record('restartEngine', 3),
    interrupt: record('interrupt'),
    runPi: record('runPi'),
    runAllModes: record('runAllModes'),
    cancelRun: async () => {
      throw Object.assign(new Error("there is no run 'x'"), { name: 'NotFoundError' })
    },
    getRun: record('getRun'),
    deleteRun: record('deleteRun'),
    execute: record('execute'),
    clearErrors: record('clearErrors'),
    onEvents(listener: EventListener) {
      listeners.add(listener)
      return () => void listeners.delete(listener)
    },
  }
  return { service, calls, emit: (batch: ServiceEvent[]) => listeners.forEach((l) => l(batch)) }
}

function fakeWindow(id: number) {
  const sent: Array<[string, unknown]> = []
  let destroyed = false
  const onDestroyed: Array<() => void> = []
  const contents = {
    id,
    send: (channel: string, payload: unknown) => sent.push([channel, payload]),
    isDestroyed: () => destroyed,
    once: (_event: 'destroyed', fn: () => void) => onDestroyed.push(fn),
  }
  return { contents, sent, destroy: () => ((destroyed = true), onDestroyed.forEach((f) => f())) }
}

const call = (sender: { id: number }, method: unknown, args: unknown) => electron.handlers.get(CALL_CHANNEL)!({ sender }, method, args)

describe('the Electron IPC adapter', () => {
  beforeEach(() => electron.handlers.clear())

  test('forwards valid calls to the service and replies with plain data', async () => {
    const { service, calls } = fakeService()
    const ipc = registerIpc(service as never)
    const win = fakeWindow(1)
    ipc.attach(win.contents as never)

    expect(await call(win.contents, 'snapshot', [])).toEqual({ result: { version: 'test' } })
    expect(await call(win.contents, 'saveNode', [{ name: ' lab ', kind: 'local', engines: null }])).toEqual({ result: { id: 'n1' } })
    expect(await call(win.contents, 'restartEngine', [2])).toEqual({ result: 3 })
    expect(await call(win.contents, 'startNode', [])).toEqual({ result: undefined })
    expect(calls).toEqual([
      ['snapshot', []],
      ['saveNode', [{ name: 'lab', kind: 'local', engines: null }]],
      ['restartEngine', [2]],
      ['startNode', []],
    ])
    expect(await call(win.contents, 'cancelRun', ['x'])).toEqual({ error: { name: 'NotFoundError', message: "there is no run 'x'" } })
  })

  test.each([
    ['an unknown method', 'shell.openExternal', ['https://evil.example']],
    ['a prototype key', 'constructor', []],
    ['a non-string method', { toString: 'snapshot' }, []],
    ['arguments that are not a list', 'stopEngine', { 0: 1 }],
    ['too many arguments', 'snapshot', [1]],
    ['a missing argument', 'execute', ['1 + 1']],
    ['a wrong type', 'stopEngine', ['0']],
    ['an unknown field', 'saveNode', [{ name: 'x', kind: 'local', engines: 1, __proto__: { polluted: true }, extra: 1 }]],
    ['a bad value', 'runPi', [{ samples: 1, tasks: 2, mode: 'lb-map', kernel: 'seeded', seed: 1, targets: 'all' }]],
  ])('rejects %s before the service sees it', async (_what, method, args) => {
    const { service, calls } = fakeService()
    const ipc = registerIpc(service as never)
    const win = fakeWindow(1)
    ipc.attach(win.contents as never)
    const reply = (await call(win.contents, method, args)) as { error: { name: string; message: string } }
    expect(reply.error.name).toBe('ServiceInputError')
    expect(reply.error.message.length).toBeGreaterThan(10)
    expect(calls).toEqual([])
  })

  test('takes calls only from attached windows', async () => {
    const { service, calls } = fakeService()
    const ipc = registerIpc(service as never)
    const win = fakeWindow(1)
    ipc.attach(win.contents as never)
    expect(await call({ id: 99 }, 'snapshot', [])).toMatchObject({ error: { name: 'IpcSenderError' } })
    win.destroy()
    expect(await call(win.contents, 'snapshot', [])).toMatchObject({ error: { name: 'IpcSenderError' } })
    expect(calls).toEqual([])
  })

  test('sends event batches to live windows; dispose removes the handler and stops events', () => {
    const { service, emit } = fakeService()
    const ipc = registerIpc(service as never)
    const a = fakeWindow(1)
    const b = fakeWindow(2)
    ipc.attach(a.contents as never)
    ipc.attach(b.contents as never)
    const batch: ServiceEvent[] = [{ type: 'errorsCleared' }]
    emit(batch)
    b.destroy()
    emit(batch)
    expect(a.sent).toEqual([
      [EVENTS_CHANNEL, batch],
      [EVENTS_CHANNEL, batch],
    ])
    expect(b.sent).toEqual([[EVENTS_CHANNEL, batch]])
    ipc.dispose()
    emit(batch)
    expect(a.sent).toHaveLength(2)
    expect(electron.handlers.has(CALL_CHANNEL)).toBe(false)
  })
})
