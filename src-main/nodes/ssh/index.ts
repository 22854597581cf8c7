export { SshLauncher, agentBundle, type SshLauncherOptions, type SshLaunchStage } from './SshLauncher'
export { SshError, HostKeyError, SshKeyError, RemoteNodeError, type SshErrorLevel, type SshKeyProblem } from './errors'
export { shellQuote } from './shellQuote'
export { fingerprint } from './knownHosts'
