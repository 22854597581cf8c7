/**
 * The app's profiles: its own cluster is published under `app` (or `app-2`… when another app
 * runs), never `default`, which is the terminal's (`clusterdesk start`); scripts join it with
 * `connect({ profile: 'app' })`. The app can also attach to a cluster started elsewhere (a
 * terminal, a script) and show it instead of its own, whose nodes keep running meanwhile.
 */
import type { Cluster } from '../cluster/Cluster'
import { connect } from '../cluster/connect'
import { listProfiles } from '../cluster/profiles'
import type { Client } from '../core/client/Client'
import type { ProfileState, ProfileView } from './api'
import type { EventBus } from './eventBus'

/** The app's profile unless told otherwise. */
export const APP_PROFILE = 'app'
/** `app`, `app-2` … `app-9`: the first one free is taken. */
const MAX_APP_PROFILES = 9

export class ProfileManager {
  private own: string | null = null
  private ownError: string | null = null
  private attachedTo: { profile: string; client: Client } | null = null
  private publishing: Promise<void> | null = null
  private lost: string | null = null

  constructor(
    private readonly bus: EventBus,
    private readonly cluster: () => Cluster,
    /** The shown cluster's client changed (attach, detach, or the own one appeared). */
    private readonly onShown: (client: Client) => void,
    /** The profile to publish under (null: not published). */
    private readonly preferred: string | null = APP_PROFILE,
    /** The attached cluster went away (stopped, or its process died). */
    private readonly onLost: (profile: string) => void = () => undefined,
  ) {}

  /** Publishes the app's own cluster (once; failures are kept in the state, not thrown). */
  publish(): Promise<void> {
    this.publishing ??= (async () => {
      if (this.preferred === null) return
      const names = this.preferred === APP_PROFILE ? Array.from({ length: MAX_APP_PROFILES }, (_, i) => (i === 0 ? APP_PROFILE : `${APP_PROFILE}-${i + 1}`)) : [this.preferred]
      let last: Error | null = null
      for (const name of names) {
        try {
          await this.cluster().publish(name)
          this.own = name
          last = null
          break
        } catch (err) {
          last = err as Error
        }
      }
      this.ownError = last ? `the app's cluster is not published: ${last.message}` : null
      this.changed()
    })()
    return this.publishing
  }

  state(): ProfileState {
    const state: ProfileState = { own: this.own, ownError: this.ownError, current: this.attachedTo?.profile ?? this.own, attached: this.attachedTo !== null }
    return this.lost ? { ...state, lost: this.lost } : state
  }

  /** The attached cluster's client, or null while the app shows its own. */
  get attachedClient(): Client | null {
    return this.attachedTo?.client ?? null
  }

  get attachedProfile(): string | null {
    return this.attachedTo?.profile ?? null
  }

  async list(): Promise<ProfileView[]> {
    const current = this.state().current
    return (await listProfiles({ timeoutMs: 2000 })).map(({ file: _file, ...p }) => ({ ...p, own: p.profile === this.own, current: p.profile === current }))
  }

  async attach(profile: string): Promise<ProfileState> {
    if (profile === this.own) return this.detach()
    if (profile === this.attachedTo?.profile) return this.state()
    // Connect first: a profile that is not running leaves the app showing what it showed.
    const client = await connect({ profile, timeoutMs: 5000 })
    const previous = this.attachedTo
    this.attachedTo = { profile, client }
    this.lost = null
    // The attached cluster stopping (or its process dying) brings the app back to its own.
    client.subscribe({
      onClosed: (error) => {
        if (this.attachedTo?.client !== client) return
        this.attachedTo = null
        this.lost = `profile '${profile}' went away: ${error.message}`
        this.onLost(profile)
        this.onShown(this.cluster().localClient)
        this.changed()
      },
    })
    this.onShown(client)
    this.changed()
    await previous?.client.close().catch(() => undefined)
    return this.state()
  }

  async detach(): Promise<ProfileState> {
    this.lost = null
    const previous = this.attachedTo
    if (!previous) return this.state()
    this.attachedTo = null
    this.onShown(this.cluster().localClient)
    this.changed()
    await previous.client.close().catch(() => undefined)
    return this.state()
  }

  /** Leaves the attached cluster (it keeps running); the own one is stopped with the app's nodes. */
  async close(): Promise<void> {
    await this.publishing
    const previous = this.attachedTo
    this.attachedTo = null
    await previous?.client.close().catch(() => undefined)
  }

  private changed(): void {
    this.bus.publish({ type: 'profile', profile: this.state() })
  }
}
