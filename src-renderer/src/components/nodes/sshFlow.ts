/**
 * The questions an SSH call can need answered, asked through SshPrompts: an unknown host key to
 * trust (after the user checked its fingerprint) and an identity file's passphrase (for this call
 * only, never stored). Both flows retry the call with the answer, and stop when the user cancels.
 */
import type { NodeInput, NodeTestResult } from '../../../../src-main/service/api'

export interface SshPromptsApi {
  askTrust(host: string, fingerprint: string): Promise<boolean>
  askPassphrase(what: string, retry?: boolean): Promise<string | null>
}

export interface SshFlowDeps {
  prompts: SshPromptsApi | null | undefined
  test(input: NodeInput, passphrase?: string): Promise<NodeTestResult>
  trustHostKey(node: string | NodeInput, fingerprint: string): Promise<void>
}

/** At most this many rounds of questions per click (a wrong passphrase asks again). */
const MAX_ROUNDS = 5

const hostOf = (input: NodeInput): string => {
  const ssh = input.ssh
  if (!ssh) return input.name
  return `${ssh.user ? `${ssh.user}@` : ''}${ssh.host}${ssh.port && ssh.port !== 22 ? `:${ssh.port}` : ''}`
}

/**
 * "Test connection": tests, asks for a passphrase or a trust decision when the answer needs one,
 * and tests again. Resolves with the last result (null if the user cancelled before any).
 */
export async function testWithPrompts(deps: SshFlowDeps, input: NodeInput): Promise<NodeTestResult | null> {
  let passphrase: string | undefined
  let result: NodeTestResult | null = null
  for (let round = 0; round < MAX_ROUNDS; round++) {
    result = await deps.test(input, passphrase)
    if (result.ok || input.kind !== 'ssh' || !deps.prompts) return result
    if (result.level === 'client-key') {
      const answer = await deps.prompts.askPassphrase(hostOf(input), passphrase !== undefined)
      if (answer === null) return result
      passphrase = answer
      continue
    }
    if (result.needsTrust && result.fingerprint) {
      if (!(await deps.prompts.askTrust(hostOf(input), result.fingerprint))) return result
      await deps.trustHostKey(input, result.fingerprint)
      continue
    }
    return result
  }
  return result
}

/**
 * Starts (or reconnects) a saved SSH node: on an unknown host key, tests the node for the key's
 * fingerprint and asks to trust it; on a key that needs its passphrase, asks for it; then tries
 * again. Resolves true when started, false when the user cancelled; rejects with other failures.
 */
export async function startWithPrompts(deps: SshFlowDeps, node: NodeInput & { id: string }, start: (passphrase?: string) => Promise<void>): Promise<boolean> {
  let passphrase: string | undefined
  for (let round = 0; ; round++) {
    try {
      await start(passphrase)
      return true
    } catch (err) {
      const name = (err as Error).name
      if (round >= MAX_ROUNDS || node.kind !== 'ssh' || !deps.prompts) throw err
      if (name === 'SshKeyError') {
        const answer = await deps.prompts.askPassphrase(hostOf(node), passphrase !== undefined)
        if (answer === null) return false
        passphrase = answer
        continue
      }
      if (name === 'HostKeyError') {
        const tested = await deps.test(node, passphrase).catch(() => null)
        if (!tested?.needsTrust || !tested.fingerprint) throw err
        if (!(await deps.prompts.askTrust(hostOf(node), tested.fingerprint))) return false
        await deps.trustHostKey(node.id, tested.fingerprint)
        continue
      }
      throw err
    }
  }
}
