/**
 * clientID ↔ identity binding: clientID = clientIdFromPublicKey(author key, index). The
 * SHA-256 behind it is async, so results are cached (bounded) per (author, index).
 */
import { clientIdFromPublicKey, publicKeyFromPeerId } from '@ymesh/crypto'
import type { PeerId } from '@ymesh/protocol'

const MAX_CACHED = 4096

export class ClientBinding {
  private readonly cache = new Map<string, number>()

  /** The clientID bound to (author, index); null if the author is not a ymesh peer id. */
  async clientIdOf (author: PeerId, index: number): Promise<number | null> {
    const key = `${author}:${index}`
    const hit = this.cache.get(key)
    if (hit !== undefined) return hit
    let clientId: number
    try {
      clientId = await clientIdFromPublicKey(publicKeyFromPeerId(author), index)
    } catch {
      return null
    }
    if (this.cache.size >= MAX_CACHED) this.cache.delete(this.cache.keys().next().value as string)
    this.cache.set(key, clientId)
    return clientId
  }
}
