// The ymesh facade: MeshProvider (a drop-in for y-webrtc's WebrtcProvider) and the public
// API of the packages underneath, so an app imports one package.
export { MeshProvider } from './mesh-provider.js'
export type { MeshProviderOptions, MeshProviderEvents, MeshProviderPeersEvent, MeshPeerOpts } from './mesh-provider.js'
export { DocRouter } from './doc-router.js'
export { NoSignaling } from './no-signaling.js'
export type { DocEndpoint } from './doc-router.js'
export { encodeDocFrame, decodeDocFrame, tagOfSyncMessage } from './doc-wire.js'
export type { DocFrame } from './doc-wire.js'
export { BcKind, bcChannelName, encodeBcMessage, decodeBcMessage } from './broadcast.js'
export type { BcMessage } from './broadcast.js'
export { MeshProviderError, InvalidProviderOptionsError, DocumentConflictError, ProviderDestroyedError, YMESH_ERROR_NAMES } from './errors.js'

// @ymesh/core
export { createPeer, MeshPeer, MemorySignalingHub, ServerSignaling, WebRtcTransport, consoleLogger, silentLogger, createSystemClock, createSystemRng } from '@ymesh/core'
export type { Peer, PeerOptions, PeerEvents, RoomSpec, Connection, ConnectionKind, Logger, SignalingSource, PoolOptions, WebRtcTransportOptions, HybridSignalingOptions, HybridStats } from '@ymesh/core'
// @ymesh/crypto
export {
  generateIdentity, exportIdentity, importIdentity, exportIdentityEncrypted, importIdentityEncrypted, generateRoomSecret, encodeRoomSecret,
  decodeRoomSecret, isYmeshPeerId
} from '@ymesh/crypto'
export type { Identity, ExportedIdentity, EncryptedIdentity } from '@ymesh/crypto'
// @ymesh/sync
export { AuthenticatedDoc, RoomPolicy, MemoryStorage, IndexedDbStorage, DocStore, storeKeyFromIdentity } from '@ymesh/sync'
export type { SyncStorage, IndexedDbStorageOptions, Authorship, DropReason, SyncStats } from '@ymesh/sync'
// @ymesh/data
export {
  DistributedRoomRegistry, Room, MessageLog, ContactCache, openRoomLog, openDirectLog, inviteLink, parseInviteLink, contactInvite, parseContactInvite,
  orderMessages, acknowledge, messageStatus, roomCipher, directCipher
} from '@ymesh/data'
export type { ModelOptions, CreateRoomOptions, PublicRoom, ViewMessage, LogView, Contact, MessageStatus } from '@ymesh/data'
