/** Node-only parts of @ymesh/sync (they import node:fs), kept out of the browser entry. */
export { FileStorage } from './storage/file-storage.js'
export type { FileStorageOptions } from './storage/file-storage.js'
