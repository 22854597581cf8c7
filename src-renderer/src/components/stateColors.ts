/** One colour per state, shared by every tag that shows a node, engine or run state. */
import type { EngineState, NodeState, RunStatus } from '../../../src-main/service/api'

type TagType = 'default' | 'info' | 'success' | 'warning' | 'error' | 'primary'

export const ENGINE_STATE_TAG: Record<EngineState, TagType> = {
  starting: 'default',
  idle: 'success',
  busy: 'info',
  interrupting: 'warning',
  unresponsive: 'warning',
  dead: 'error',
}

/** How a state reads in the app. */
export const ENGINE_STATE_LABEL: Record<EngineState, string> = {
  starting: 'starting',
  idle: 'idle',
  busy: 'busy',
  interrupting: 'interrupting',
  unresponsive: 'not responding',
  dead: 'dead',
}

export const NODE_STATE_TAG: Record<NodeState, TagType> = {
  stopped: 'default',
  connecting: 'info',
  uploading: 'info',
  queued: 'warning',
  starting: 'info',
  ready: 'success',
  lost: 'warning',
  failed: 'error',
}

export const RUN_STATUS_TAG: Record<RunStatus, TagType> = {
  running: 'info',
  done: 'success',
  failed: 'error',
  cancelled: 'warning',
}
