/**
 * Grammars of multi-hop routing (see PROTOCOL.md "Routing"): the link-scoped route-advert
 * (distance-vector updates, seqno requests) and the routed pieces that travel inside an
 * envelope (the sealed routed-message body and the end-to-end route-ack).
 *
 * Destinations in an advert are named once per connection and direction, then by index
 * (a dictionary both ends build in the same order, which reliable ordered links make safe):
 * a 43-character peer id costs its bytes once instead of in every update.
 */
import * as decoding from 'lib0/decoding'
import * as encoding from 'lib0/encoding'
import { InvalidMessageError } from './errors.js'
import { MAX_TTL, MESSAGE_ID_SIZE } from './limits.js'
import { readPeerId, writePeerId } from './peer-id.js'
import { decodeAll, readBoundedVarUint, readFixedUint8Array } from './safe-decoding.js'
import type { PeerId } from './transport.js'

/** Route metric meaning "unreachable" (a retraction). Finite metrics are below it. */
export const ROUTE_METRIC_INFINITY = 0xffff

/** Largest destination sequence number; comparisons wrap modulo 2^32 (RFC 1982). */
export const MAX_ROUTE_SEQNO = 0xffffffff

/** Most items in one route-advert frame. */
export const MAX_ROUTE_ADVERT_ITEMS = 1024

/** Most destinations one side may name on one connection before it must reset its dictionary. */
export const MAX_ROUTE_DICTIONARY_SIZE = 65536

/** Largest hop count an advertised route may carry. */
export const MAX_ROUTE_HOPS = 255

/** A destination as an advert names it: by index into the connection's dictionary, or spelled out (and appended to it). */
export type RouteRef =
  | { readonly index: number }
  | { readonly define: PeerId }

export type RouteAdvertItem =
  /** "My best route to `dest` has this seqno, metric and hop count" (metric ROUTE_METRIC_INFINITY: I have none). */
  | { readonly kind: 'update', readonly dest: RouteRef, readonly seqno: number, readonly metric: number, readonly hops: number }
  /** "Please make `dest` advertise a seqno at least this new"; forwarded towards dest at most `hopLimit` more links. */
  | { readonly kind: 'seqno-request', readonly dest: RouteRef, readonly seqno: number, readonly hopLimit: number }
  /** The sender forgets its dictionary; the receiver must forget its copy too. */
  | { readonly kind: 'reset' }

const ITEM_UPDATE = 0
const ITEM_SEQNO_REQUEST = 1
const ITEM_RESET = 2

const writeRef = (encoder: encoding.Encoder, ref: RouteRef): void => {
  if ('define' in ref) {
    encoding.writeVarUint(encoder, 0)
    writePeerId(encoder, ref.define)
  } else {
    if (!Number.isInteger(ref.index) || ref.index < 0 || ref.index >= MAX_ROUTE_DICTIONARY_SIZE) {
      throw new InvalidMessageError(`cannot encode route advert: dictionary index ${ref.index} is outside 0–${MAX_ROUTE_DICTIONARY_SIZE - 1}`)
    }
    encoding.writeVarUint(encoder, ref.index + 1)
  }
}

const readRef = (decoder: decoding.Decoder): RouteRef => {
  const n = readBoundedVarUint(decoder, MAX_ROUTE_DICTIONARY_SIZE, 'route advert destination')
  return n === 0 ? { define: readPeerId(decoder, 'route advert destination') } : { index: n - 1 }
}

const checkRange = (value: number, max: number, what: string): void => {
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw new InvalidMessageError(`cannot encode route advert: ${what} ${value} is not an integer from 0 to ${max}`)
  }
}

/** Payload of a 'route-advert' frame. */
export const encodeRouteAdvert = (items: readonly RouteAdvertItem[]): Uint8Array => {
  if (items.length < 1 || items.length > MAX_ROUTE_ADVERT_ITEMS) {
    throw new InvalidMessageError(`cannot encode route advert: it holds 1 to ${MAX_ROUTE_ADVERT_ITEMS} items, not ${items.length}`)
  }
  return encoding.encode((encoder) => {
    encoding.writeVarUint(encoder, items.length)
    for (const item of items) {
      if (item.kind === 'update') {
        checkRange(item.seqno, MAX_ROUTE_SEQNO, 'seqno')
        checkRange(item.metric, ROUTE_METRIC_INFINITY, 'metric')
        checkRange(item.hops, MAX_ROUTE_HOPS, 'hops')
        encoding.writeVarUint(encoder, ITEM_UPDATE)
        writeRef(encoder, item.dest)
        encoding.writeVarUint(encoder, item.seqno)
        encoding.writeVarUint(encoder, item.metric)
        encoding.writeVarUint(encoder, item.hops)
      } else if (item.kind === 'seqno-request') {
        checkRange(item.seqno, MAX_ROUTE_SEQNO, 'seqno')
        checkRange(item.hopLimit, MAX_TTL, 'hop limit')
        encoding.writeVarUint(encoder, ITEM_SEQNO_REQUEST)
        writeRef(encoder, item.dest)
        encoding.writeVarUint(encoder, item.seqno)
        encoding.writeVarUint(encoder, item.hopLimit)
      } else {
        encoding.writeVarUint(encoder, ITEM_RESET)
      }
    }
  })
}

const readItem = (decoder: decoding.Decoder): RouteAdvertItem => {
  const kind = readBoundedVarUint(decoder, ITEM_RESET, 'route advert item kind')
  if (kind === ITEM_RESET) return { kind: 'reset' }
  const dest = readRef(decoder)
  const seqno = readBoundedVarUint(decoder, MAX_ROUTE_SEQNO, 'route advert seqno')
  if (kind === ITEM_UPDATE) {
    const metric = readBoundedVarUint(decoder, ROUTE_METRIC_INFINITY, 'route advert metric')
    const hops = readBoundedVarUint(decoder, MAX_ROUTE_HOPS, 'route advert hops')
    return { kind: 'update', dest, seqno, metric, hops }
  }
  return { kind: 'seqno-request', dest, seqno, hopLimit: readBoundedVarUint(decoder, MAX_TTL, 'seqno request hop limit') }
}

/** Decode the payload of a 'route-advert' frame. Throws InvalidMessageError on anything malformed. */
export const decodeRouteAdvert = (payload: Uint8Array): RouteAdvertItem[] => decodeAll(payload, 'route advert', (decoder) => {
  const count = readBoundedVarUint(decoder, MAX_ROUTE_ADVERT_ITEMS, 'route advert item count')
  if (count === 0) throw new InvalidMessageError('route advert holds no items')
  const items: RouteAdvertItem[] = []
  for (let i = 0; i < count; i++) items.push(readItem(decoder))
  return items
})

/** The plaintext sealed inside a routed message: a stable message id (retries keep it), flags and the body. */
export interface RoutedBody {
  /** MESSAGE_ID_SIZE bytes, the same in every retry: the receiver's duplicate-suppression key. */
  readonly messageId: Uint8Array
  /** The sender waits for a route-ack. */
  readonly ackRequested: boolean
  readonly body: Uint8Array
}

const FLAG_ACK = 1

export const encodeRoutedBody = (routed: RoutedBody): Uint8Array => {
  if (routed.messageId.length !== MESSAGE_ID_SIZE) {
    throw new InvalidMessageError(`cannot encode routed body: the message id must be ${MESSAGE_ID_SIZE} bytes`)
  }
  return encoding.encode((encoder) => {
    encoding.writeUint8Array(encoder, routed.messageId)
    encoding.writeVarUint(encoder, routed.ackRequested ? FLAG_ACK : 0)
    encoding.writeUint8Array(encoder, routed.body)
  })
}

/** Decode an opened routed body; `body` runs to the end and is a view into `bytes`. */
export const decodeRoutedBody = (bytes: Uint8Array): RoutedBody => decodeAll(bytes, 'routed body', (decoder) => {
  const messageId = readFixedUint8Array(decoder, MESSAGE_ID_SIZE, 'routed body message id')
  const flags = readBoundedVarUint(decoder, FLAG_ACK, 'routed body flags')
  const body = decoding.readTailAsUint8Array(decoder)
  return { messageId, ackRequested: (flags & FLAG_ACK) !== 0, body }
})

/** Payload of a route-ack envelope: the id of the routed message it acknowledges. */
export const encodeRouteAck = (messageId: Uint8Array): Uint8Array => {
  if (messageId.length !== MESSAGE_ID_SIZE) {
    throw new InvalidMessageError(`cannot encode route ack: the message id must be ${MESSAGE_ID_SIZE} bytes`)
  }
  return messageId.slice()
}

export const decodeRouteAck = (payload: Uint8Array): Uint8Array =>
  decodeAll(payload, 'route ack', (decoder) => readFixedUint8Array(decoder, MESSAGE_ID_SIZE, 'route ack message id'))

/**
 * The sealTo() domain of a routed message body: per payload type (a body sealed for one type
 * never opens as another) and per source, so a forwarder that strips the author's signature
 * and signs the envelope itself cannot pass off the author's sealed body as its own.
 */
export const routedSealDomain = (payloadType: number, source: PeerId): string => `ymesh/routed/v1/${payloadType}/${source}`
