/**
 * The anchor's identity lives in its data folder, so a restarted anchor is the same peer
 * (members recognise its "stored" receipts, and pool anchors keep dialing it).
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { exportIdentity, generateIdentity, importIdentity, type Identity } from '@ymesh/crypto'

export const IDENTITY_FILE = 'identity.json'

export const loadOrCreateIdentity = async (dataDir: string): Promise<{ identity: Identity, created: boolean }> => {
  const path = join(dataDir, IDENTITY_FILE)
  let text: string | null = null
  try {
    text = await readFile(path, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
  }
  if (text !== null) {
    let parsed: unknown
    try {
      parsed = JSON.parse(text)
    } catch {
      throw new Error(`${path} is not valid JSON. Restore it from a backup, or delete it to give this anchor a new identity.`)
    }
    return { identity: await importIdentity(parsed, { extractable: true }), created: false }
  }
  const identity = await generateIdentity({ extractable: true })
  await mkdir(dataDir, { recursive: true })
  // 0o600: the seed is the anchor's private key.
  await writeFile(path, JSON.stringify(await exportIdentity(identity), null, 2) + '\n', { mode: 0o600, flag: 'wx' })
  return { identity, created: true }
}
