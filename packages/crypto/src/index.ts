export {
  CryptoError,
  InvalidArgumentError,
  InvalidKeyError,
  InvalidSignatureError,
  InvalidPeerIdError,
  DecryptionError,
  RoomKeyMismatchError,
  InvalidIdentityError,
  InvalidRoomSecretError,
  UnsupportedError
} from './errors.js'
export type { RandomSource } from './webcrypto.js'
export { toBase64Url, fromBase64Url } from './bytes.js'
export { peerIdFromPublicKey, publicKeyFromPeerId, isYmeshPeerId, PEER_ID_LENGTH, PUBLIC_KEY_LENGTH } from './peer-id.js'
export { generateIdentity, exportIdentity, importIdentity, SEED_LENGTH } from './identity.js'
export type { Identity, GenerateIdentityOptions, ExportedIdentity } from './identity.js'
export {
  exportIdentityEncrypted,
  importIdentityEncrypted,
  DEFAULT_BACKUP_ITERATIONS,
  MIN_BACKUP_ITERATIONS,
  MAX_BACKUP_ITERATIONS
} from './identity-backup.js'
export type { EncryptedIdentity, ExportEncryptedOptions } from './identity-backup.js'
export { ed25519PublicKeyToX25519, ed25519SeedToX25519PrivateKey } from './ed25519-to-x25519.js'
export { clientIdFromPublicKey } from './client-id.js'
export { sign, verify, signedMessage, SIGNATURE_LENGTH } from './signature.js'
export { sealTo, openSealed, SEAL_OVERHEAD } from './seal.js'
export type { SealOptions } from './seal.js'
export {
  generateRoomKey,
  importRoomKey,
  exportRoomKey,
  sealWithRoomKey,
  openWithRoomKey,
  roomKeyIdOf,
  ROOM_KEY_LENGTH,
  ROOM_SEAL_OVERHEAD
} from './room-key.js'
export type { RoomKey, RoomKeyOptions } from './room-key.js'
export {
  generateRoomSecret,
  encodeRoomSecret,
  decodeRoomSecret,
  topicFromRoomSecret,
  roomKeyFromSecret,
  ROOM_SECRET_LENGTH
} from './room-secret.js'
export {
  deriveYWebrtcKey,
  encryptYWebrtc,
  decryptYWebrtc,
  encryptYWebrtcJson,
  decryptYWebrtcJson,
  Y_WEBRTC_PBKDF2_ITERATIONS
} from './y-webrtc-compat.js'
export { derivePairKey } from './pair-key.js'
export type { PairKey } from './pair-key.js'
