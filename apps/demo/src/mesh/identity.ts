/** The browser's identity: created on first open, kept in localStorage, the same in every tab. */
import { exportIdentity, generateIdentity, importIdentity, type Identity } from '@ymesh/crypto'

const KEY = 'ymesh-demo:identity'

export const loadIdentity = async (storage: Storage = localStorage): Promise<Identity> => {
  const saved = storage.getItem(KEY)
  if (saved !== null) {
    try {
      return await importIdentity(JSON.parse(saved), { extractable: true })
    } catch (err) {
      console.warn('The saved identity could not be read; creating a new one.', err)
    }
  }
  const identity = await generateIdentity({ extractable: true })
  storage.setItem(KEY, JSON.stringify(await exportIdentity(identity)))
  return identity
}
