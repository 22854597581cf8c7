/** The imap suite of test/integration/client, replayed with a connected client. */
import { afterAll, expect } from 'vitest'
import { connectedClients } from '../../helpers/cluster'

process.env.CLUSTERDESK_TEST_CLIENT = 'connected'
afterAll(() => expect(connectedClients.count).toBeGreaterThan(3))
await import('../client/imap.test')
