/**
 * From stored entries to what the user sees: the MessageOrderingBuffer and the rules of
 * the log (docs/data-models.md).
 *
 * - Order: (segment, position in the segment's Y.Array); duplicates of an id keep the first.
 * - An entry takes effect only if its signature verifies, its body opens and decodes, and
 *   the authorizer allows its author (e.g. role ≥ member in the room state its author saw).
 * - A reply whose parent is in a loaded segment but not (yet) here is held back: a reply
 *   never shows before its parent. Edits, reactions and deletions whose target is not here
 *   are held the same way, and apply when it arrives.
 * - Only a message's author edits or deletes it (moderators remove or ban the member).
 */
import type { PeerId } from '@ymesh/protocol'
import type { Entry, EntryId } from './signed-entry.js'
import type { MessageBody } from './message-body.js'

export interface ViewOptions {
  /** Only the last `last` messages (loads only the newest segments that hold them). */
  readonly last?: number
  /** Authors whose entries are not shown (blocked contacts). */
  readonly hide?: (author: PeerId) => boolean
}

export interface ViewMessage {
  readonly id: EntryId
  readonly author: PeerId
  readonly time: number
  readonly text: string
  readonly attachments: readonly string[]
  readonly replyTo: EntryId | null
  readonly edited: boolean
  readonly deleted: boolean
  /** emoji → peers, each once. */
  readonly reactions: ReadonlyMap<string, readonly PeerId[]>
  readonly segment: number
}

export interface LogView {
  readonly messages: ViewMessage[]
  /** Entries held back until what they refer to arrives. */
  readonly pending: number
  /** Entries with no effect: bad signature, unreadable, malformed, unauthorized, duplicate. */
  readonly ignored: number
}

export interface OrderContext {
  readonly verify: (e: Entry, segment: number) => Promise<boolean>
  readonly open: (e: Entry) => Promise<MessageBody | null>
  readonly allow: (e: Entry, body: MessageBody) => boolean
  readonly hide?: ((author: PeerId) => boolean) | undefined
  readonly oldestLoaded: number
  /**
   * For a view of the tail: whether a valid entry with this id precedes the given entries.
   * A reply to one is not held back, an edit of one changes nothing shown, and a copy of one
   * is a duplicate. Asked only about ids the given entries name.
   */
  readonly before?: (id: EntryId) => Promise<boolean>
}

interface Mutable {
  id: EntryId
  author: PeerId
  time: number
  text: string
  attachments: readonly string[]
  replyTo: EntryId | null
  edited: boolean
  deleted: boolean
  reactions: Map<string, PeerId[]>
  segment: number
}

export const orderMessages = async (segments: ReadonlyArray<{ segment: number, entries: readonly Entry[] }>, ctx: OrderContext): Promise<LogView> => {
  const flat: Array<{ entry: Entry, segment: number }> = []
  for (const s of segments) for (const entry of s.entries) flat.push({ entry, segment: s.segment })
  const [valid, bodies] = await Promise.all([
    Promise.all(flat.map((f) => ctx.verify(f.entry, f.segment))),
    Promise.all(flat.map((f) => ctx.open(f.entry)))
  ])
  const prior = new Set<EntryId>()
  if (ctx.before !== undefined) {
    const asked = new Set<EntryId>()
    for (let i = 0; i < flat.length; i++) {
      const body = bodies[i]
      if (valid[i] !== true || body === null || body === undefined) continue
      const refs = [flat[i]!.entry.id, body.type === 'message' ? body.replyTo?.id : body.target]
      for (const ref of refs) {
        if (ref === undefined || asked.has(ref)) continue
        asked.add(ref)
        if (await ctx.before(ref)) prior.add(ref)
      }
    }
  }
  let ignored = 0
  const seen = new Set<EntryId>()
  const byId = new Map<EntryId, Mutable>()
  const list: Mutable[] = []
  let held: Array<{ entry: Entry, body: MessageBody, segment: number }> = []

  const applyOne = (entry: Entry, body: MessageBody, segment: number): boolean => {
    if (body.type === 'message') {
      const r = body.replyTo
      if (r !== null && !byId.has(r.id) && r.segment >= ctx.oldestLoaded && !prior.has(r.id)) return false
      const m: Mutable = { id: entry.id, author: entry.author, time: entry.time, text: body.text, attachments: body.attachments, replyTo: r?.id ?? null, edited: false, deleted: false, reactions: new Map(), segment }
      byId.set(entry.id, m)
      list.push(m)
      return true
    }
    const target = byId.get(body.target)
    if (target === undefined) return prior.has(body.target)
    if (body.type === 'edit') {
      if (target.author === entry.author && !target.deleted) { target.text = body.text; target.edited = true }
    } else if (body.type === 'reaction') {
      const peers = target.reactions.get(body.emoji) ?? []
      if (!peers.includes(entry.author)) target.reactions.set(body.emoji, [...peers, entry.author])
    } else if (target.author === entry.author) {
      target.deleted = true
      target.text = ''
      target.attachments = []
    }
    return true
  }

  for (let i = 0; i < flat.length; i++) {
    const { entry, segment } = flat[i] as { entry: Entry, segment: number }
    const body = bodies[i]
    if (valid[i] !== true || body === null || body === undefined || seen.has(entry.id) || prior.has(entry.id) || !ctx.allow(entry, body) || ctx.hide?.(entry.author) === true) {
      ignored++
      continue
    }
    seen.add(entry.id)
    if (!applyOne(entry, body, segment)) { held.push({ entry, body, segment }); continue }
    // Something new arrived: retry what waited for it.
    let progress = true
    while (progress && held.length > 0) {
      progress = false
      const still: typeof held = []
      for (const h of held) {
        if (applyOne(h.entry, h.body, h.segment)) progress = true
        else still.push(h)
      }
      held = still
    }
  }
  return { messages: list, pending: held.length, ignored }
}
