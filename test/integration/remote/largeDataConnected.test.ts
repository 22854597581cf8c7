/**
 * The large typed arrays of test/integration/client, replayed with a connected client: the
 * controller relays the engines' result frames as they are, and the client places them.
 */
import { afterAll, expect } from 'vitest'
import { connectedClients } from '../../helpers/cluster'

process.env.CLUSTERDESK_TEST_CLIENT = 'connected'
afterAll(() => expect(connectedClients.count).toBe(3))
await import('../client/largeData.test')
