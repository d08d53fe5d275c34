/**
 * Errors of the routing layer. They extend CoreError like every error of @ymesh/core
 * (match on err.name); they live here until src/errors.ts takes them in.
 */
import { CoreError } from '../errors.js'

export type DeliveryFailureReason = 'no-route' | 'timeout' | 'stopped' | 'send-failed'

/** A routed message could not be delivered (or, with ack, was never acknowledged). */
export class DeliveryFailedError extends CoreError {
  override readonly name: string = 'DeliveryFailedError'
  constructor (readonly reason: DeliveryFailureReason, readonly destination: string, readonly attempts: number) {
    super(DeliveryFailedError.explain(reason, destination, attempts))
  }

  private static explain (reason: DeliveryFailureReason, destination: string, attempts: number): string {
    switch (reason) {
      case 'no-route': return `no route to ${destination}: it is not reachable through this peer's neighbours right now; retry later or send with { ack: true } to retry automatically`
      case 'timeout': return `${destination} did not acknowledge the message after ${attempts} attempts; it may be offline (use store-and-forward for offline peers)`
      case 'stopped': return `the router stopped before the message to ${destination} was delivered; start it again and resend`
      case 'send-failed': return `the connection towards ${destination} refused the message (closed or over its queue limit); retry later`
    }
  }
}
