import { describe, expect, test } from 'vitest'
import { parseArgs, parseCall, SERVICE_METHODS, ServiceInputError } from '../../../src-main/service/schemas'

const node = { name: 'lab', kind: 'local', engines: 2 }
const pi = { samples: 1e6, tasks: 16, mode: 'lb-map', kernel: 'seeded', seed: 42, targets: 'all' }

describe('service call schemas', () => {
  test('list every method of the API', () => {
    expect([...SERVICE_METHODS].sort()).toEqual(
      ['cancelRun', 'clearErrors', 'deleteNode', 'deleteRun', 'execute', 'getRun', 'interrupt', 'reconnectNode', 'restartEngine', 'runAllModes', 'runPi', 'saveNode', 'snapshot', 'startNode', 'stopEngine', 'stopNode', 'testNode', 'trustHostKey', 'listProfiles', 'attach', 'detach'].sort(),
    )
  })

  test('accept valid calls, normalising what JSON cannot say', () => {
    expect(parseCall('saveNode', [{ ...node, name: '  lab  ' }])).toEqual({ method: 'saveNode', args: [{ ...node, name: 'lab' }] })
    expect(parseCall('startNode', [])).toEqual({ method: 'startNode', args: [] })
    expect(parseCall('startNode', [null]).args).toEqual([undefined])
    expect(parseCall('interrupt', [[0, 2]]).args).toEqual([[0, 2]])
    expect(parseCall('runPi', [pi]).args).toEqual([pi])
    expect(parseCall('runPi', [{ ...pi, kernel: 'simd' }]).args).toEqual([{ ...pi, kernel: 'simd' }])
    expect(parseCall('execute', ['T_T', '::2']).args).toEqual(['T_T', '::2'])
    expect(parseCall('startNode', ['n1', 'secret']).args).toEqual(['n1', 'secret'])
    expect(parseCall('reconnectNode', ['n1']).args).toEqual(['n1'])
    expect(parseCall('attach', ['lab']).args).toEqual(['lab'])
    expect(() => parseCall('attach', ['../etc'])).toThrow(/attach: profile must be a profile name/)
    const print = `SHA256:${'A'.repeat(43)}`
    expect(parseCall('trustHostKey', ['n1', print]).args).toEqual(['n1', print])
    const slurm = { ...node, kind: 'slurm', ssh: { host: 'login1' }, batch: { queue: 'debug', time: '01:00:00', nodes: 2, setup: ["export A='x;y'"], extraArgs: ['--mem=4G'] } }
    expect(parseCall('saveNode', [slurm]).args).toEqual([slurm])
  })

  test.each([
    ['nope', [], /unknown method "nope"/],
    ['constructor', [], /unknown method "constructor"/],
    ['__proto__', [], /unknown method/],
    [42, [], /unknown method 42/],
    ['snapshot', 'x', /arguments must be a list/],
    ['snapshot', [1], /takes no arguments, got 1/],
    ['stopEngine', [1, 2], /at most 1 argument \(engineId\), got 2/],
    ['deleteNode', [], /deleteNode: missing argument id/],
    ['stopEngine', [-1], /engineId engine ids start at 0/],
    ['stopEngine', [1.5], /engineId must be a whole number/],
    ['stopEngine', ['1'], /engineId must be an engine id/],
    ['saveNode', [{ ...node, engines: 0 }], /node\.engines must be at least 1 \(or null for one per core\)/],
    ['saveNode', [{ ...node, name: ' ' }], /node\.name must not be empty/],
    ['saveNode', [{ ...node, kind: 'cloud' }], /node\.kind must be 'local', 'ssh', 'slurm' or 'pbs'/],
    ['saveNode', [{ ...node, admin: true }], /node has unknown field admin/],
    ['saveNode', [{ ...node, nodePath: '/bin/node\n rm -rf ~' }], /control characters/],
    ['saveNode', [{ ...node, kind: 'ssh' }], /SSH node needs ssh settings/],
    ['saveNode', [{ ...node, kind: 'slurm' }], /Slurm or PBS node needs batch settings/],
    ['saveNode', [{ ...node, kind: 'slurm', batch: { queue: ' ', time: '1' } }], /node\.batch\.queue must name the partition or queue/],
    ['saveNode', [{ ...node, kind: 'pbs', batch: { queue: 'q', time: '1', setup: ['a\nb'] } }], /a setup line must be one line/],
    ['testNode', [{ ...node, ssh: { host: 'a b' } }], /host name without spaces/],
    ['runPi', [{ ...pi, mode: 'fast' }], /request\.mode must be one of direct-map, lb-map/],
    ['runPi', [{ ...pi, tasks: 10, samples: 5 }], /request\.tasks must be at most the number of samples/],
    ['runPi', [{ ...pi, seed: 2 ** 32 }], /request\.seed must be < 2\^32/],
    ['runPi', [{ ...pi, samples: '1e8' }], /request\.samples must be a number/],
    ['runAllModes', [pi], /request has unknown field mode/],
    ['execute', ['   ', 'all'], /code is empty/],
    ['execute', ['1'], /execute: missing argument targets/],
    ['execute', ['1', 7], /targets must be targets in console syntax/],
    ['interrupt', [[0, 'x']], /engineIds\.1 must be an engine id/],
    ['trustHostKey', ['n1', 'MD5:aa'], /fingerprint must be a SHA256 fingerprint/],
    ['trustHostKey', ['n1'], /missing argument fingerprint/],
    ['startNode', ['n1', 42], /passphrase must be a passphrase/],
  ])('reject %j %j', (method, args, message) => {
    expect(() => parseCall(method, args)).toThrow(ServiceInputError)
    expect(() => parseCall(method, args)).toThrow(message)
  })

  test('parseArgs is what the service itself checks with', () => {
    expect(() => parseArgs('getRun', [''])).toThrow(/getRun: runId must not be empty/)
  })
})
