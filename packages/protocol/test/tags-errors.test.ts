import { describe, expect, it } from 'vitest'
import {
  expectKnownTag, InvalidMessageError, isKnownTag, isProtocolError, LinkClosedError, MessageTooLargeError,
  PROTOCOL_ERROR_NAMES, ProtocolError, Tag, tagInfo, tagName, TAGS, UnknownTagError, UnsupportedVersionError
} from '@ymesh/protocol'

describe('tag table', () => {
  it("keeps y-webrtc's data-channel message types", () => {
    expect([Tag.Sync, Tag.Awareness, Tag.Auth, Tag.QueryAwareness, Tag.BcPeerId]).toEqual([0, 1, 2, 3, 4])
  })

  it('lists every tag once, ascending without gaps, with unique kebab-case names', () => {
    expect(TAGS.map((t) => t.tag)).toEqual(TAGS.map((_, i) => i))
    expect(Object.values(Tag).sort((a, b) => a - b)).toEqual(TAGS.map((t) => t.tag))
    expect(new Set(TAGS.map((t) => t.name)).size).toBe(TAGS.length)
    for (const t of TAGS) expect(t.name).toMatch(/^[a-z]+(-[a-z]+)*$/)
  })

  it('is frozen', () => {
    expect(Object.isFrozen(Tag)).toBe(true)
    expect(Object.isFrozen(TAGS)).toBe(true)
    expect(TAGS.every((t) => Object.isFrozen(t))).toBe(true)
  })

  it('names tags, and says so for unknown ones', () => {
    expect(tagName(Tag.Envelope)).toBe('envelope')
    expect(tagName(Tag.BcPeerId)).toBe('bc-peer-id')
    expect(tagName(999)).toBe('unknown(999)')
    expect(tagName(-1)).toBe('unknown(-1)')
    expect(tagName(1.5)).toBe('unknown(1.5)')
    expect(tagInfo(Tag.Chunk)).toMatchObject({ name: 'chunk', status: 'active', scope: 'link' })
    expect(isKnownTag(Tag.FileChunk)).toBe(true)
    expect(isKnownTag(TAGS.length)).toBe(false)
  })

  it('expectKnownTag throws UnknownTagError for unknown tags', () => {
    expect(expectKnownTag(Tag.Ping, 'frame')).toBe(Tag.Ping)
    expect(() => expectKnownTag(500, 'frame')).toThrow(expect.objectContaining({ name: 'UnknownTagError', tag: 500 }))
  })
})

describe('errors', () => {
  const samples: Error[] = [
    new ProtocolError('x'),
    new InvalidMessageError('x'),
    new UnsupportedVersionError(9, [1]),
    new MessageTooLargeError('frame', 20, 10),
    new UnknownTagError(77, 'frame'),
    new LinkClosedError('link-1', 'closed')
  ]

  it('each has a name equal to its class name and is a ProtocolError', () => {
    for (const err of samples) {
      expect(err.name).toBe(err.constructor.name)
      expect(err).toBeInstanceOf(ProtocolError)
      expect(err).toBeInstanceOf(Error)
      expect(isProtocolError(err)).toBe(true)
    }
    expect(samples.map((e) => e.name)).toEqual(PROTOCOL_ERROR_NAMES)
  })

  it('recognises errors by name, not by instanceof', () => {
    const foreign = Object.assign(new Error('x'), { name: 'InvalidMessageError' })
    expect(isProtocolError(foreign)).toBe(true)
    expect(isProtocolError(new TypeError('x'))).toBe(false)
    expect(isProtocolError('InvalidMessageError')).toBe(false)
  })

  it('messages say what is wrong and what to do', () => {
    expect(new UnsupportedVersionError(9, [1]).message).toMatch(/version 9 is not supported \(this peer speaks 1\); upgrade/)
    const tooLarge = new MessageTooLargeError('frame', 20, 10)
    expect(tooLarge.message).toMatch(/frame is 20 bytes, over the limit of 10 bytes; split it/)
    expect(tooLarge).toMatchObject({ size: 20, limit: 10 })
    expect(new LinkClosedError('link-1', 'connecting').message).toMatch(/link link-1 is connecting, not open: wait for its 'open' event/)
    expect(new UnknownTagError(77, 'frame').message).toMatch(/unknown message tag 77 in frame; .* ignore/)
    expect(new UnsupportedVersionError(9, [1])).toMatchObject({ version: 9, supported: [1] })
  })
})
