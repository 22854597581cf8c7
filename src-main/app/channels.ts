/** The IPC channels between the window's preload and main: calls one way, event batches the other. */
export const CALL_CHANNEL = 'clusterdesk:call'
export const EVENTS_CHANNEL = 'clusterdesk:events'
