/**
 * Every message tag: the varUint in front of every frame. 0–4 are y-webrtc's data-channel
 * message types and keep their meaning, so a frame to or from a stock y-webrtc peer is the
 * same bytes y-webrtc sends. ymesh tags ascend from 5 and are never reused: a retired tag
 * keeps its row forever.
 */

import { UnknownTagError } from './errors.js'

export const Tag = Object.freeze({
  /** y-protocols sync (y-webrtc messageSync). */
  Sync: 0,
  /** y-protocols awareness update (y-webrtc messageAwareness). */
  Awareness: 1,
  /** y-protocols messageAuth; reserved, never sent by ymesh. */
  Auth: 2,
  /** y-webrtc messageQueryAwareness. */
  QueryAwareness: 3,
  /** y-webrtc messageBcPeerId (BroadcastChannel peer id). */
  BcPeerId: 4,
  /** Handshake hello: versions, nonce, identity, signature. */
  Hello: 5,
  /** Handshake proof: signature over the handshake transcript. */
  HelloProof: 6,
  /** RTT probe. */
  Ping: 7,
  /** Answer to a ping, echoing its sequence number. */
  Pong: 8,
  /** Fragment of a message larger than one frame. */
  Chunk: 9,
  /** Signed multi-hop message. */
  Envelope: 10,
  /** A document's @ymesh/sync message, multiplexed by document id (docId • message). */
  DocSync: 11,
  /** A document's signed awareness, multiplexed by document id (docId • message). */
  DocAwareness: 12,
  /** Gossip: subscriptions, prune, and "I have these message ids". */
  GossipIHave: 13,
  /** Gossip: "send me these message ids" (and graft). */
  GossipIWant: 14,
  /** Signed capability record (an envelope payload type). */
  Capability: 15,
  /** Routing advertisement between neighbours: distance-vector updates and seqno requests. */
  RouteAdvert: 16,
  /** Reserved: signaling message relayed through peers. */
  RelayedSignal: 17,
  /** Reserved: file transfer chunk. */
  FileChunk: 18,
  /** End-to-end acknowledgement of a routed message (an envelope payload type). */
  RouteAck: 19,
  /** A relayed-signal message to a direct neighbour, straight over the connection (no envelope). */
  RelayedSignalHop: 20,
  /** Closing a connection in order: 'bye', answered 'bye-ack', before the channel closes. */
  Close: 21
} as const)

export type Tag = (typeof Tag)[keyof typeof Tag]

/**
 * 'y-webrtc': defined by y-webrtc, payload is y-protocols bytes this package does not parse.
 * 'active': grammar defined here. 'reserved': number taken, grammar comes with a later issue.
 */
export type TagStatus = 'y-webrtc' | 'active' | 'reserved'

/**
 * 'link': meaningful only between two directly connected peers (never inside an envelope).
 * 'routed': may travel more than one hop inside an envelope.
 */
export type TagScope = 'link' | 'routed'

export interface TagInfo {
  readonly tag: Tag
  /** kebab-case name, as in PROTOCOL.md. */
  readonly name: string
  readonly status: TagStatus
  readonly scope: TagScope
}

const info = (tag: Tag, name: string, status: TagStatus, scope: TagScope): TagInfo =>
  Object.freeze({ tag, name, status, scope })

/** The tag table, in tag order. */
export const TAGS: readonly TagInfo[] = Object.freeze([
  info(Tag.Sync, 'sync', 'y-webrtc', 'link'),
  info(Tag.Awareness, 'awareness', 'y-webrtc', 'link'),
  info(Tag.Auth, 'auth', 'y-webrtc', 'link'),
  info(Tag.QueryAwareness, 'query-awareness', 'y-webrtc', 'link'),
  info(Tag.BcPeerId, 'bc-peer-id', 'y-webrtc', 'link'),
  info(Tag.Hello, 'hello', 'active', 'link'),
  info(Tag.HelloProof, 'hello-proof', 'active', 'link'),
  info(Tag.Ping, 'ping', 'active', 'link'),
  info(Tag.Pong, 'pong', 'active', 'link'),
  info(Tag.Chunk, 'chunk', 'active', 'link'),
  info(Tag.Envelope, 'envelope', 'active', 'routed'),
  info(Tag.DocSync, 'doc-sync', 'active', 'routed'),
  info(Tag.DocAwareness, 'doc-awareness', 'active', 'routed'),
  info(Tag.GossipIHave, 'gossip-ihave', 'active', 'link'),
  info(Tag.GossipIWant, 'gossip-iwant', 'active', 'link'),
  info(Tag.Capability, 'capability', 'active', 'routed'),
  info(Tag.RouteAdvert, 'route-advert', 'active', 'link'),
  info(Tag.RelayedSignal, 'relayed-signal', 'active', 'routed'),
  info(Tag.FileChunk, 'file-chunk', 'reserved', 'routed'),
  info(Tag.RouteAck, 'route-ack', 'active', 'routed'),
  info(Tag.RelayedSignalHop, 'relayed-signal-hop', 'active', 'link'),
  info(Tag.Close, 'close', 'active', 'link')
])

/** The table entry of `tag`, or undefined for a tag this version does not know. */
export const tagInfo = (tag: number): TagInfo | undefined =>
  Number.isInteger(tag) && tag >= 0 && tag < TAGS.length ? TAGS[tag] : undefined

/** True for a tag in the table. */
export const isKnownTag = (tag: number): tag is Tag => tagInfo(tag) !== undefined

/** The tag's kebab-case name, or 'unknown(<tag>)' — for logs, never for dispatch. */
export const tagName = (tag: number): string => tagInfo(tag)?.name ?? `unknown(${tag})`

/** Return `tag` as a known Tag, or throw UnknownTagError naming `where` it was found. */
export const expectKnownTag = (tag: number, where: string): Tag => {
  if (!isKnownTag(tag)) throw new UnknownTagError(tag, where)
  return tag
}
