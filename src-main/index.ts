/**
 * clusterdesk as a Node library: `import { Cluster } from 'clusterdesk'`.
 * No Electron, no GUI: the controller, its views and the π experiment.
 */
export { Cluster, type LauncherFactory } from './cluster/Cluster'
export { ClusterConfigError, type ClusterOptions, type LocalNodeSpec, type NodeSpec, type SshNodeSpec, type SlurmNodeSpec, type PbsNodeSpec, type BatchLogin } from './cluster/options'
export { Client, type ClientEvents } from './core/client/Client'
export type { ClientInfo, ControllerLink, ControllerStatus, MonitorEvents, TaskEvent } from './core/controller/ControllerLink'
export { connect, type ConnectOptions } from './cluster/connect'
export {
  connectionFile,
  listProfiles,
  readConnectionFile,
  DEFAULT_PROFILE,
  type ConnectionInfo,
  type ConnectionTarget,
  type ProfileStatus,
} from './cluster/profiles'
export { DirectView, type ParallelFunction, type ScatterOptions } from './core/client/DirectView'
export { LoadBalancedView, type LoadBalancedMapOptions, type LoadBalancedViewOptions } from './core/client/LoadBalancedView'
export { AsyncResult, type ProgressListener } from './core/client/AsyncResult'
export type { TaskMetadata } from './core/client/Task'
export type { EngineInfo, EngineState, EngineExit, BatchJobInfo } from './core/client/EngineHandle'
export type { Slice, Targets } from './core/client/targets'
export { parseTargets } from './core/client/targets'
export {
  CompositeError,
  ConnectionError,
  EngineError,
  InvalidTargetsError,
  NoEnginesError,
  RemoteError,
  TaskAborted,
  TaskTimeout,
  TimeoutError,
  UsageError,
} from './core/client/errors'
export { SerializationError } from './core/protocol/codec'
export { HandshakeError } from './core/client/NodeConnection'
export { NodeNotFoundError } from './nodes/LocalLauncher'
export { AgentBundleMissingError } from './nodes/agentBundle'
export { runPi, PI_MODES, PI_KERNELS, PiOptionsError, type PiOptions, type PiResult, type PiMode, type PiKernel } from './experiments/pi/runPi'
