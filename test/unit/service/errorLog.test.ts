/** Error records: what the Exceptions page lists for a failed run or console command. */
import { describe, expect, it } from 'vitest'
import { CompositeError, EngineError, RemoteError } from '../../../src-main/core/client/errors'
import { errorRecords, type ErrorContext } from '../../../src-main/service/errorLog'

const NAMES: Record<number, string> = { 3: 'Spare', 4: 'local#4' }
const ctx: ErrorContext = { source: 'run', sourceId: 'run-1', code: 'lb-map', nodeNameOf: (id) => NAMES[id] ?? null }

const died = (id: number, key: string) => new EngineError(id, 'apply', null, 'SIGKILL', `engine ${id} on ${key} died (killed by SIGKILL) — last output: on local#2 died (x)`)

describe('an error record', () => {
  it("names a dead engine's node as its badge does, not by its internal key", () => {
    const [record] = errorRecords(died(3, 'local#2'), ctx)
    expect(record.nodeName).toBe('Spare')
    expect(record.evalue).toBe('engine 3 on Spare died (killed by SIGKILL) — last output: on local#2 died (x)')
  })

  it('leaves the message alone when the key is the name, the node is unknown, or the error is not an EngineError', () => {
    expect(errorRecords(died(4, 'local#4'), ctx)[0].evalue).toMatch(/^engine 4 on local#4 died/)
    expect(errorRecords(died(9, 'local#2'), ctx)[0].evalue).toMatch(/^engine 9 on local#2 died/)
    const user = new RemoteError(3, 'execute', 'Error', 'engine 3 on local#2 died (made up)')
    expect(errorRecords(user, ctx)[0].evalue).toBe('engine 3 on local#2 died (made up)')
  })

  it('renames the node in each part of a CompositeError', () => {
    const records = errorRecords(new CompositeError([died(3, 'local#2'), new RemoteError(4, 'apply', 'TypeError', 'x is not a function')], 'apply'), ctx)
    expect(records.map((r) => r.evalue)).toEqual(['engine 3 on Spare died (killed by SIGKILL) — last output: on local#2 died (x)', 'x is not a function'])
  })
})
