/**
 * Getting a batch job into the queue, on the submit host: its directory with the key (0600) and
 * the scripts, the agent bundle where the compute nodes see it, the port they join, the submit.
 */
import { createHash, randomBytes } from 'node:crypto'
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net'
import os from 'node:os'
import { join } from 'node:path'
import { type BatchJobConfig, type JobFiles, runCommand, type Scheduler } from './schedulers'

/** The job could not be prepared or the scheduler refused it; the message carries the scheduler's words. */
export class BatchJobError extends Error {
  override name = 'BatchJobError'
}

/** Writes the job directory and starts listening; on failure nothing of it is left. */
export async function prepareJob(config: BatchJobConfig, scheduler: Scheduler, bundlePath: string, key: Buffer, onJoin: (socket: Socket) => void): Promise<{ files: JobFiles; server: Server }> {
  const base = config.bundleDir ?? join(os.homedir(), '.cache', 'clusterdesk')
  const dir = join(base, 'jobs', `${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`)
  const server = createServer(onJoin)
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 })
    const keyFile = join(dir, 'key')
    writeFileSync(keyFile, key, { mode: 0o600 })
    chmodSync(keyFile, 0o600)
    // The compute nodes run this very bundle, from where they can see it (named by its hash).
    const content = readFileSync(bundlePath)
    const bundle = join(base, `agent-${createHash('sha256').update(content).digest('hex').slice(0, 16)}.cjs`)
    if (!existsSync(bundle) || !readFileSync(bundle).equals(content)) {
      const temp = `${bundle}.${randomBytes(4).toString('hex')}.tmp`
      copyFileSync(bundlePath, temp)
      renameSync(temp, bundle)
    }
    const listenHost = config.listenHost ?? '0.0.0.0'
    const port = await new Promise<number>((resolve, reject) => {
      server.once('error', (err) => reject(new BatchJobError(`cannot listen for the job's agents on ${listenHost}: ${err.message}; set listenHost`)))
      server.listen(0, listenHost, () => resolve((server.address() as AddressInfo).port))
    })
    const host = config.joinHost ?? os.hostname()
    const files: JobFiles = { dir, bundle, keyFile, joinAddress: `${host.includes(':') ? `[${host}]` : host}:${port}` }
    writeFileSync(join(dir, 'node.sh'), scheduler.nodeScript(files), { mode: 0o700 })
    writeFileSync(join(dir, 'job.sh'), scheduler.jobScript(files), { mode: 0o700 })
    return { files, server }
  } catch (err) {
    server.close()
    rmSync(dir, { recursive: true, force: true })
    throw err instanceof BatchJobError ? err : new BatchJobError(`cannot prepare the job in ${dir}: ${(err as Error).message}; check bundleDir (it must be writable, and shared with the compute nodes)`)
  }
}

/** Submits the job script; resolves with the job id, or rejects in the scheduler's own words. */
export async function submitJob(config: BatchJobConfig, scheduler: Scheduler, files: JobFiles): Promise<string> {
  const command = scheduler.command(scheduler.submitCommand)
  // Submitted from the job directory: PBS takes it as the job's working directory.
  const r = await runCommand(command, scheduler.submitArgs(files, join(files.dir, 'job.sh')), 30000, files.dir)
  if (r.spawnError) {
    throw new BatchJobError(
      r.spawnError.code === 'ENOENT'
        ? `${command} is not installed on ${os.hostname()} (not found${config.schedulerPath ? ` in ${config.schedulerPath}` : ' on PATH'}); is this a ${scheduler.name === 'slurm' ? 'Slurm' : 'PBS'} submit host? (set schedulerPath to its directory)`
        : `cannot run ${command}: ${r.spawnError.message}`,
    )
  }
  const id = r.code === 0 ? scheduler.parseSubmit(r.stdout) : null
  if (!id) throw new BatchJobError(`${scheduler.submitCommand} refused the job: ${(r.stderr || r.stdout).trim() || `exit code ${r.code}`}`)
  return id
}
