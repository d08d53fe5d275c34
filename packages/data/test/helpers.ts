import * as Y from 'yjs'
import { generateIdentity } from '@ymesh/crypto'
import type { Identity } from '@ymesh/crypto'
import type { Replica } from '../src/index.js'

/** Deterministic identities from a label. */
export const identity = async (label: string): Promise<Identity> => {
  const seed = new Uint8Array(32)
  for (let i = 0; i < label.length; i++) seed[i % 32] = (seed[i % 32]! * 31 + label.charCodeAt(i)) & 0xff
  seed[31] = label.length
  return await generateIdentity({ seed })
}

/** Full two-way sync of every document two replicas hold (open or stored). */
export const syncReplicas = async (a: Replica, b: Replica): Promise<void> => {
  const ids = new Set([...(await a.ids()), ...(await b.ids())])
  for (const id of ids) {
    const da = await a.open(id)
    const db = await b.open(id)
    Y.applyUpdate(db, Y.encodeStateAsUpdate(da, Y.encodeStateVector(db)))
    Y.applyUpdate(da, Y.encodeStateAsUpdate(db, Y.encodeStateVector(da)))
  }
}

export const syncAll = async (replicas: readonly Replica[]): Promise<void> => {
  for (let round = 0; round < 2; round++) {
    for (let i = 1; i < replicas.length; i++) await syncReplicas(replicas[0]!, replicas[i]!)
  }
}
