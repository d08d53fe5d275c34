import { describe, expect, it } from 'vitest'
import type { PeerId } from '@ymesh/protocol'
import { RoomBook } from '../../src/connections/room-book.js'

const p = (n: number): PeerId => `peer${n}` as PeerId

describe('RoomBook (a peer\'s rooms, candidates, memberships and welcomes)', () => {
  it('keeps candidates per room with their backoff, and forgets memberships with the room', () => {
    const book = new RoomBook(1_000)
    expect(book.add('Room', 'topic', {})).toBe(true)
    expect(book.add('Room', 'topic', {})).toBe(false)
    expect(book.topicOf('Room')).toBe('topic')
    const room = book.get('topic')!
    expect(book.candidate(room, p(1), true, true, 4)).toBe(true)
    expect(book.candidate(room, p(1), true, true, 4)).toBe(false)
    book.failed(p(1), 100, (f) => f * 10)
    expect(room.candidates.get(p(1))).toMatchObject({ failures: 1, notBefore: 110 })
    book.holdOff(p(1), 500)
    expect(room.candidates.get(p(1))?.notBefore).toBe(500)
    book.succeeded('topic', p(1))
    expect(room.candidates.get(p(1))).toMatchObject({ failures: 0, notBefore: 0 })
    for (let i = 0; i < 4; i++) book.failed(p(1), 0, () => 1)
    book.candidate(room, p(1), true, true, 4) // a fresh announce gives it another chance
    expect(room.candidates.get(p(1))?.failures).toBe(0)
    book.member(p(2), 'topic')
    expect(book.isMember(p(2), 'topic')).toBe(true)
    book.remove('topic')
    expect(book.isMember(p(2), 'topic')).toBe(false)
    expect(book.topics()).toEqual([])
  })

  it('welcomes a newcomer for welcomeMs', () => {
    const book = new RoomBook(1_000)
    book.welcome(p(1), 0)
    expect(book.isWelcomed(p(1), 999)).toBe(true)
    expect(book.isWelcomed(p(1), 1_000)).toBe(false)
    expect(book.isWelcomed(p(2), 0)).toBe(false)
    book.clearWelcomes()
    expect(book.isWelcomed(p(1), 0)).toBe(false)
  })
})
