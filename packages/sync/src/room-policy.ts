/**
 * What a room accepts. `requireAuth` is a one-way switch: once set on a policy it cannot be
 * cleared, so a stock peer appearing never downgrades an authenticated room.
 */
import { PolicyError } from './errors.js'

export interface RoomPolicyOptions {
  /** Refuse every update and awareness entry that is not signed by a ymesh identity. Default false. */
  readonly requireAuth?: boolean
}

export class RoomPolicy {
  private required: boolean

  constructor (options: RoomPolicyOptions = {}) {
    this.required = options.requireAuth === true
  }

  get requireAuth (): boolean {
    return this.required
  }

  /** Unsigned content is accepted (and marked unauthenticated) only while this is true. */
  get allowsUnauthenticated (): boolean {
    return !this.required
  }

  /** Turns on requireAuth. Idempotent. */
  requireAuthentication (): void {
    this.required = true
  }

  /** Throws PolicyError: a room that required authentication never stops requiring it. */
  allowUnauthenticated (): void {
    if (this.required) {
      throw new PolicyError('This room requires authentication and that cannot be switched off; create a new room (with a new id) to admit stock y-webrtc peers.')
    }
  }
}
