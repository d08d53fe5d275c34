/**
 * Routes inbound frames by tag to the handler registered for it. One dispatcher per peer,
 * shared by all its connections: subsystems (gossip, sync, capabilities, ...) register once
 * with `peer.handle(tag, handler)` and receive frames from every connection.
 *
 * The dispatcher is the boundary where peer input meets our code: a handler that throws is
 * counted and logged, never rethrown, and a tag nobody handles is a counted drop.
 */
import { tagName, type Frame } from '@ymesh/protocol'
import type { CoreMetrics } from '../metrics/core-metrics.js'
import type { Logger } from '../logger.js'
import type { Connection } from './connection.js'

/** Receives one frame. `frame.payload` is a view into received bytes: copy what you keep. */
export type FrameHandler = (frame: Frame, connection: Connection) => void

export class FrameDispatcher {
  private readonly handlers = new Map<number, FrameHandler>()

  constructor (private readonly metrics: CoreMetrics, private readonly logger: Logger) {}

  /**
   * Handle every inbound frame of `tag` from every connection. One handler per tag: a
   * second registration throws, because two subsystems claiming one tag is a bug. Returns a
   * function that unregisters it.
   */
  handle (tag: number, handler: FrameHandler): () => void {
    if (this.handlers.has(tag)) {
      throw new Error(`tag ${tag} (${tagName(tag)}) already has a handler; unregister it first (one handler per tag)`)
    }
    this.handlers.set(tag, handler)
    return () => {
      if (this.handlers.get(tag) === handler) this.handlers.delete(tag)
    }
  }

  has (tag: number): boolean {
    return this.handlers.has(tag)
  }

  dispatch (frame: Frame, connection: Connection): void {
    const handler = this.handlers.get(frame.tag)
    if (handler === undefined) {
      this.metrics.drops.inc({ reason: 'unhandled-tag' })
      return
    }
    try {
      handler(frame, connection)
    } catch (error) {
      this.metrics.handlerErrors.inc({ tag: tagName(frame.tag) })
      this.logger.warn('frame handler threw', { tag: tagName(frame.tag), remotePeer: connection.remotePeer, error })
    }
  }
}
