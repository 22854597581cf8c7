/**
 * The HMAC-SHA256 challenge-response of the client protocol. Each side proves it holds the key
 * by a MAC over both nonces, bound to its role, so a reply cannot be reflected back.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto'

export const newNonce = (): Uint8Array => new Uint8Array(randomBytes(32))

/** A new random 256-bit key, hex-encoded for the connection file. */
export const newKey = (): string => randomBytes(32).toString('hex')

export function proof(key: string, role: 'client' | 'controller', first: Uint8Array, second: Uint8Array): Uint8Array {
  return new Uint8Array(createHmac('sha256', Buffer.from(key, 'hex')).update(role).update(first).update(second).digest())
}

export function proofMatches(expected: Uint8Array, given: unknown): boolean {
  return given instanceof Uint8Array && given.byteLength === expected.byteLength && timingSafeEqual(expected, given)
}
