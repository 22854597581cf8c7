/**
 * An in-memory ServiceClient for renderer tests: it answers from a snapshot it holds, records
 * every call, and lets a test push event batches and connection changes as the service would.
 */
import type {
  ConsoleEntry,
  EngineView,
  ErrorRecord,
  NodeInput,
  NodeRecord,
  NodeTestResult,
  PiRunRequest,
  ProfileState,
  ProfileView,
  RunRecord,
  ServiceEvent,
  ServiceSnapshot,
} from '../../../src-main/service/api'
import type { ConnectionStatus, ServiceClient } from '../../../src-renderer/src/api/client'

export const emptySnapshot = (): ServiceSnapshot => ({
  version: '0.0.0-test',
  dataDir: '/tmp/clusterdesk-test',
  nodes: [],
  nodeStatus: [],
  engines: [],
  runs: [],
  progress: [],
  console: [],
  errors: [],
  profile: { own: 'app', ownError: null, current: 'app', attached: false },
  clients: [],
  tasks: [],
  tasksTotal: 0,
  running: [],
})

export function engine(id: number, patch: Partial<EngineView> = {}): EngineView {
  return {
    id,
    nodeId: 'n1',
    nodeName: 'this machine',
    host: 'localhost',
    pid: 1000 + id,
    state: 'idle',
    currentTask: null,
    tasksDone: 0,
    busyMs: 0,
    busyShare: 0,
    memory: 40 * 2 ** 20,
    startedAt: 0,
    exit: null,
    output: [],
    ...patch,
  }
}

export function remoteError(engineId: number, patch: Partial<ErrorRecord> = {}): ErrorRecord {
  return {
    id: `err-${engineId}-${Math.random().toString(36).slice(2)}`,
    at: 1_000,
    source: 'console',
    sourceId: 'c1',
    engineId,
    nodeName: 'this machine',
    ename: 'ReferenceError',
    evalue: 'T_T is not defined',
    traceback: 'ReferenceError: T_T is not defined\n    at <console>:1:1',
    method: 'execute',
    code: 'T_T',
    composite: null,
    ...patch,
  }
}

export function runRecord(id: string, patch: Partial<RunRecord> = {}): RunRecord {
  const request: PiRunRequest = { samples: 1000, tasks: 4, mode: 'lb-map', kernel: 'seeded', seed: 42, targets: 'all' }
  return { id, group: null, request, status: 'running', startedAt: 1_000, finishedAt: null, engines: 2, result: null, error: null, chunks: [], points: [], ...patch }
}

export class FakeClient implements ServiceClient {
  snapshotData: ServiceSnapshot
  calls: Array<{ method: string; args: unknown[] }> = []
  /** What `execute` answers; by default an entry with no results. */
  executeResult: (code: string, targets: string) => ConsoleEntry = (code, targets) => ({
    id: `c${this.calls.length}`,
    n: this.calls.length,
    code,
    targets,
    at: 0,
    durationMs: 1,
    status: 'done',
    results: [],
    error: null,
  })
  /** Set to hold `snapshot()` until the test resolves it. */
  holdSnapshot: Promise<void> | null = null
  private eventListeners = new Set<(batch: ServiceEvent[]) => void>()
  private connectionListeners = new Set<(status: ConnectionStatus) => void>()
  private status: ConnectionStatus = { state: 'open' }

  constructor(snapshot: Partial<ServiceSnapshot> = {}) {
    this.snapshotData = { ...emptySnapshot(), ...snapshot }
  }

  private record(method: string, args: unknown[]): void {
    this.calls.push({ method, args })
  }

  callsOf(method: string): unknown[][] {
    return this.calls.filter((c) => c.method === method).map((c) => c.args)
  }

  /** Pushes one batch of events, as the service does every 100 ms. */
  emit(batch: ServiceEvent[]): void {
    for (const listener of this.eventListeners) listener(batch)
  }

  setConnection(status: ConnectionStatus): void {
    this.status = status
    for (const listener of this.connectionListeners) listener(status)
  }

  onEvents(listener: (batch: ServiceEvent[]) => void): () => void {
    this.eventListeners.add(listener)
    return () => this.eventListeners.delete(listener)
  }

  onConnection(listener: (status: ConnectionStatus) => void): () => void {
    this.connectionListeners.add(listener)
    listener(this.status)
    return () => this.connectionListeners.delete(listener)
  }

  async snapshot(): Promise<ServiceSnapshot> {
    this.record('snapshot', [])
    const copy = structuredClone(this.snapshotData)
    if (this.holdSnapshot) await this.holdSnapshot
    return copy
  }

  async saveNode(input: Parameters<ServiceClient['saveNode']>[0]): Promise<NodeRecord> {
    this.record('saveNode', [input])
    return { ...input, id: input.id ?? `node-${this.calls.length}`, createdAt: 0, updatedAt: 0 }
  }

  async deleteNode(id: string): Promise<void> {
    this.record('deleteNode', [id])
  }

  /** What `testNode` answers; a test can replace it (e.g. an unknown host key, then trusted). */
  testResult: (input: NodeInput, passphrase?: string) => NodeTestResult | Promise<NodeTestResult> = () => ({ ok: true, message: 'ok', cores: 4, nodeVersion: '20.0.0' })
  /** Set to make `startNode`/`reconnectNode` fail with this error. */
  startError: ((id?: string, passphrase?: string) => Error | null) | null = null

  async testNode(input: NodeInput, passphrase?: string): Promise<NodeTestResult> {
    this.record('testNode', passphrase === undefined ? [input] : [input, passphrase])
    return this.testResult(input, passphrase)
  }

  async startNode(id?: string, passphrase?: string): Promise<void> {
    this.record('startNode', passphrase === undefined ? [id] : [id, passphrase])
    const err = this.startError?.(id, passphrase)
    if (err) throw err
  }

  async reconnectNode(id: string, passphrase?: string): Promise<void> {
    this.record('reconnectNode', passphrase === undefined ? [id] : [id, passphrase])
    const err = this.startError?.(id, passphrase)
    if (err) throw err
  }

  async trustHostKey(node: string | NodeInput, fingerprint: string): Promise<void> {
    this.record('trustHostKey', [node, fingerprint])
  }

  async stopNode(id?: string): Promise<void> {
    this.record('stopNode', [id])
  }

  async stopEngine(engineId: number): Promise<void> {
    this.record('stopEngine', [engineId])
  }

  async restartEngine(engineId: number): Promise<number> {
    this.record('restartEngine', [engineId])
    return engineId + 100
  }

  async interrupt(engineIds?: number[]): Promise<void> {
    this.record('interrupt', [engineIds])
  }

  async runPi(request: PiRunRequest): Promise<RunRecord> {
    this.record('runPi', [request])
    return runRecord(`run-${this.calls.length}`, { request })
  }

  async runAllModes(request: Omit<PiRunRequest, 'mode'>): Promise<string> {
    this.record('runAllModes', [request])
    return 'group-1'
  }

  async cancelRun(runId: string): Promise<void> {
    this.record('cancelRun', [runId])
  }

  async getRun(runId: string): Promise<RunRecord> {
    this.record('getRun', [runId])
    const run = this.snapshotData.runs.find((r) => r.id === runId)
    if (!run) throw new Error(`no run ${runId}`)
    return { ...run, partial: undefined }
  }

  async deleteRun(runId: string): Promise<void> {
    this.record('deleteRun', [runId])
  }

  async execute(code: string, targets: string): Promise<ConsoleEntry> {
    this.record('execute', [code, targets])
    return this.executeResult(code, targets)
  }

  async clearErrors(): Promise<void> {
    this.record('clearErrors', [])
  }

  /** What `listProfiles` answers. */
  profileList: ProfileView[] = []

  async listProfiles(): Promise<ProfileView[]> {
    this.record('listProfiles', [])
    return this.profileList
  }

  async attach(profile: string): Promise<ProfileState> {
    this.record('attach', [profile])
    return { own: 'app', ownError: null, current: profile, attached: true }
  }

  async detach(): Promise<ProfileState> {
    this.record('detach', [])
    return { own: 'app', ownError: null, current: 'app', attached: false }
  }
}
