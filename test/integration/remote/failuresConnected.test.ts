/**
 * The failures suite of test/integration/client, replayed with a connected client: each cluster is
 * published under a profile in a fresh CLUSTERDESK_HOME and its tests talk to it through connect().
 */
import { afterAll, expect } from 'vitest'
import { connectedClients } from '../../helpers/cluster'

process.env.CLUSTERDESK_TEST_CLIENT = 'connected'
afterAll(() => expect(connectedClients.count).toBeGreaterThan(5))
await import('../client/failures.test')
