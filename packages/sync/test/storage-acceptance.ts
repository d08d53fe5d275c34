/**
 * The acceptance suite every SyncStorage runs. `corrupt`, when given, flips bytes inside
 * the stored form of record `index` of `docId` (backend-specific), so the suite can check
 * that a damaged record is reported and skipped while the others load.
 */
import { describe, expect, it } from 'vitest'
import type { SyncStorage } from '@ymesh/sync'

export interface StorageHarness {
  readonly create: () => Promise<SyncStorage>
  /** Re-opens the same underlying store (persistence across restarts). */
  readonly reopen: (old: SyncStorage) => Promise<SyncStorage>
  readonly corrupt?: (storage: SyncStorage, docId: string, index: number) => Promise<void>
}

const bytes = (...values: number[]): Uint8Array => Uint8Array.from(values)

export const storageAcceptance = (name: string, harness: StorageHarness): void => {
  describe(`SyncStorage acceptance: ${name}`, () => {
    it('appends and loads records in order, per document', async () => {
      const s = await harness.create()
      await s.append('a', bytes(1))
      await s.append('b', bytes(9))
      await s.append('a', bytes(2, 3))
      expect(await s.load('a')).toEqual({ records: [bytes(1), bytes(2, 3)], snapshot: null, corrupt: 0 })
      expect((await s.load('b')).records).toEqual([bytes(9)])
      expect(await s.load('unknown')).toEqual({ records: [], snapshot: null, corrupt: 0 })
      expect((await s.listDocs()).sort()).toEqual(['a', 'b'])
      await s.close()
    })

    it('keeps everything across a restart', async () => {
      const s = await harness.create()
      await s.append('doc/with:odd chars ✓', bytes(1, 2))
      await s.replace('r', [bytes(5)], bytes(7, 7))
      const t = await harness.reopen(s)
      expect((await t.load('doc/with:odd chars ✓')).records).toEqual([bytes(1, 2)])
      expect(await t.load('r')).toEqual({ records: [bytes(5)], snapshot: bytes(7, 7), corrupt: 0 })
      await t.close()
    })

    it('replaces a log and its snapshot at once, and removes documents', async () => {
      const s = await harness.create()
      for (let i = 0; i < 10; i++) await s.append('a', bytes(i))
      await s.replace('a', [bytes(100)], bytes(42))
      await s.append('a', bytes(101))
      expect(await s.load('a')).toEqual({ records: [bytes(100), bytes(101)], snapshot: bytes(42), corrupt: 0 })
      await s.remove('a')
      expect((await s.load('a')).records).toEqual([])
      expect(await s.listDocs()).toEqual([])
      await s.close()
    })

    it('serialises concurrent appends without losing any', async () => {
      const s = await harness.create()
      await Promise.all(Array.from({ length: 50 }, async (_, i) => { await s.append('a', bytes(i)) }))
      const { records } = await s.load('a')
      expect(records.map((r) => r[0]).sort((x, y) => x! - y!)).toEqual(Array.from({ length: 50 }, (_, i) => i))
      await s.close()
    })

    it('rejects calls after close() with StorageError', async () => {
      const s = await harness.create()
      await s.close()
      await expect(s.load('a')).rejects.toMatchObject({ name: 'StorageError' })
    })

    if (harness.corrupt !== undefined) {
      it('skips and counts a corrupted record, keeping every other one', async () => {
        const s = await harness.create()
        for (let i = 0; i < 5; i++) await s.append('a', new Uint8Array(40).fill(i))
        await harness.corrupt!(s, 'a', 2)
        const t = await harness.reopen(s)
        const { records, corrupt } = await t.load('a')
        expect(corrupt).toBe(1)
        expect(records.map((r) => r[0])).toEqual([0, 1, 3, 4])
        await t.close()
      })
    }
  })
}
