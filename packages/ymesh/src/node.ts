// The Node-only entry ('ymesh/node'): the anchor peer, its file store and the CLI. They use
// node:fs and wrtc, so the browser entry ('ymesh') never re-exports them.
export { Anchor } from './anchor/anchor.js'
export type { AnchorOptions, AnchorEvents, AnchorLogger, AnchorRoomStatus } from './anchor/anchor.js'
export { FileDocStore } from './anchor/file-doc-store.js'
export { ObservedStorage } from './anchor/observed-storage.js'
export { loadOrCreateIdentity, IDENTITY_FILE } from './anchor/identity-file.js'
export {
  DIRECTORY_ROOM, DIRECTORY_ROOMS, DIRECTORY_INVITES, ANCHOR_INVITE_DOMAIN, STORED_FIELD, ROOM_NAME_PATTERN,
  sealAnchorInvite, openAnchorInvite, encodeStoredVector, decodeStoredVector
} from './anchor/directory.js'
export type { AnchorInvite, AnchorPresence } from './anchor/directory.js'
export { main } from './cli/main.js'
export { parseCommand } from './cli/args.js'
export type { Command, StartArgs, AnchorArgs } from './cli/args.js'
export { runStart, describeRunning, parseServerLoad } from './cli/start.js'
export type { Running, ServerLoad } from './cli/start.js'
export { createStaticServer } from './cli/static-server.js'
export type { StaticServer, StaticServerOptions } from './cli/static-server.js'
export { UsageError } from './cli/errors.js'
