/**
 * The terminal side of SSH nodes in the CLI: when a start fails because a host key is unknown or an
 * identity file needs its passphrase, ask on the terminal (stdin and stderr both TTYs) and say how
 * to retry; without a terminal, fail with a line saying what to do instead.
 * A trusted key goes where the launcher reads it (the node's knownHostsFile, else clusterdesk's trust
 * store); passphrases live only in memory for this run.
 */
import { createInterface } from 'node:readline'
import { Writable } from 'node:stream'
import type { NodeSpec, SshNodeSpec } from '../cluster/options'
import { trustStoreFile } from '../home'
import { HostKeyError, SshKeyError } from '../nodes/ssh/errors'
import { keyType, recordKnownKey } from '../nodes/ssh/knownHosts'
import { expandHome } from '../nodes/ssh/sshConfig'

/** How often a passphrase is asked for before the run fails (as OpenSSH's NumberOfPasswordPrompts). */
const MAX_PASSPHRASE_TRIES = 3

/** Ctrl-C (or Ctrl-D) at a prompt. */
export class PromptInterrupted extends Error {
  override name = 'PromptInterrupted'
  constructor() {
    super('interrupted')
  }
}

/** Prompts go to stderr and answers come from stdin, so both must be a terminal. */
export function canPrompt(): boolean {
  return Boolean(process.stdin.isTTY && process.stderr.isTTY)
}

/** Asks a yes/no question on the terminal; only `y` or `yes` is a yes. Ctrl-C rejects with PromptInterrupted. */
export function askYesNo(question: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true, historySize: 0 })
  return new Promise<boolean>((resolve, reject) => {
    let answered = false
    rl.once('SIGINT', () => {
      answered = true
      rl.close()
      process.stderr.write('\n')
      reject(new PromptInterrupted())
    })
    rl.once('close', () => {
      if (answered) return
      process.stderr.write('\n')
      resolve(false)
    })
    rl.question(question, (answer) => {
      answered = true
      rl.close()
      resolve(/^\s*y(es)?\s*$/i.test(answer))
    })
  })
}

/** Reads a secret from the terminal with echo off (readline on a muted output, stdin in raw mode); nothing is echoed or kept. */
export function askSecret(prompt: string): Promise<string> {
  // Create the interface first: it puts stdin in raw mode, so nothing typed after the prompt is echoed by the tty.
  const muted = new Writable({ write: (_chunk, _encoding, done) => done() })
  const rl = createInterface({ input: process.stdin, output: muted, terminal: true, historySize: 0 })
  process.stderr.write(prompt)
  return new Promise<string>((resolve, reject) => {
    let done = false
    const finish = (): void => {
      done = true
      rl.close()
      process.stderr.write('\n')
    }
    rl.once('line', (line) => {
      finish()
      resolve(line)
    })
    rl.once('SIGINT', () => {
      finish()
      reject(new PromptInterrupted())
    })
    rl.once('close', () => {
      if (done) return
      process.stderr.write('\n')
      reject(new PromptInterrupted())
    })
  })
}

export interface SshRetryOptions {
  /** Ask on the terminal (default: when stdin and stderr are TTYs). */
  interactive?: boolean
  /** Overridable for tests. */
  askYesNo?: (question: string) => Promise<boolean>
  askSecret?: (prompt: string) => Promise<string>
  write?: (text: string) => void
}

/**
 * Decides what to do after a start failed: resolves with the node specs to retry with (after the
 * user trusted a host key or typed a passphrase), or rejects with the error to report, which then
 * says how to get past it. Each host and each identity file is asked about once per run.
 */
export function createSshRetry(options: SshRetryOptions = {}): (err: unknown, nodes: NodeSpec[]) => Promise<NodeSpec[]> {
  const interactive = options.interactive ?? canPrompt()
  const yesNo = options.askYesNo ?? askYesNo
  const secret = options.askSecret ?? askSecret
  const write = options.write ?? ((text: string) => void process.stderr.write(text))
  const trusted = new Set<string>()
  /** Files whose passphrase was asked: the nodes it was given to, and how many tries so far. */
  const asked = new Map<string, { uses: (n: NodeSpec) => boolean; tries: number }>()

  return async (err, nodes) => {
    if (err instanceof HostKeyError && !err.changed && err.keyBlob && !trusted.has(err.host)) {
      if (!interactive) throw withHint(err, trustHint(err))
      write(
        `clusterdesk: the authenticity of host ${err.host} can't be established.\n` +
          `  ${keyType(err.keyBlob)} key fingerprint is ${err.fingerprint}.\n` +
          "  Check it with the host's owner (ssh-keygen -lf /etc/ssh/ssh_host_*_key.pub on that host).\n",
      )
      if (!(await yesNo('Trust this host key and continue? [y/N] '))) throw withHint(err, `Not trusted; nothing was run on ${err.host}.`)
      // The file the launcher named (the node's knownHostsFile or the trust store), as its accept-new would.
      recordKnownKey(err.trustFile ?? trustStoreFile(), err.host, err.keyBlob)
      trusted.add(err.host)
      write(`clusterdesk: trusted ${err.host} (${err.fingerprint}); starting again…\n`)
      return nodes
    }
    if (err instanceof SshKeyError && err.problem === 'wrong-passphrase' && err.file && asked.has(err.file)) {
      // A passphrase typed here was wrong: ask again, as ssh does, up to MAX_PASSPHRASE_TRIES.
      const file = err.file
      const earlier = asked.get(file)!
      if (earlier.tries >= MAX_PASSPHRASE_TRIES) throw withHint(err, `${MAX_PASSPHRASE_TRIES} wrong passphrases; nothing was run.`)
      earlier.tries++
      write(`clusterdesk: wrong passphrase for ${file}; try again.\n`)
      const passphrase = await secret(`Passphrase for ${file}: `)
      return nodes.map((n) => (earlier.uses(n) ? { ...n, passphrase } : n))
    }
    if (err instanceof SshKeyError && err.problem === 'needs-passphrase' && err.file) {
      const file = err.file
      const names = (n: NodeSpec): n is SshNodeSpec => n.kind === 'ssh' && n.identityFile !== undefined && expandHome(n.identityFile) === file
      // A key no node names comes from ~/.ssh/config (or the defaults): it is for the nodes that name none.
      const namesNone = (n: NodeSpec): n is SshNodeSpec => n.kind === 'ssh' && n.identityFile === undefined
      const given = nodes.some(names) ? names : namesNone
      const uses = (n: NodeSpec): n is SshNodeSpec => given(n) && n.passphrase === undefined
      if (!nodes.some(uses)) throw err
      // An ssh-agent holding the key was tried already (the launcher does): it is the passphrase now.
      if (!interactive || asked.has(file)) {
        throw withHint(err, `Load it into ssh-agent first (ssh-add ${file}) and run again, or run clusterdesk in a terminal to be asked for its passphrase.`)
      }
      asked.set(file, { uses: given, tries: 1 })
      const passphrase = await secret(`Passphrase for ${file}: `)
      return nodes.map((n) => (uses(n) ? { ...n, passphrase } : n))
    }
    throw err
  }
}

function withHint(err: Error, hint: string): Error {
  err.message = `${err.message}\n${hint}`
  return err
}

function trustHint(err: HostKeyError): string {
  const m = /^\[(.*)\]:(\d+)$/.exec(err.host)
  const target = m ? `-p ${m[2]} ${m[1]}` : err.host
  // A node's own knownHostsFile is the only file read: `ssh` must record the key there, not in ~/.ssh/known_hosts.
  const file = err.trustFile && err.trustFile !== trustStoreFile() ? err.trustFile : undefined
  const ssh = file ? `ssh -o UserKnownHostsFile=${file} ${target}` : `ssh ${target}`
  return `To trust it, check the fingerprint and run again with --accept-new-host-keys (or strictHostKeyChecking=accept-new in the node's URL), or connect once with \`${ssh}\` and accept the key there.`
}
