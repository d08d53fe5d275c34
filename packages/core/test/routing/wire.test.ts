import { describe, expect, it } from 'vitest'
import * as encoding from 'lib0/encoding'
import {
  decodeRouteAck, decodeRouteAdvert, decodeRoutedBody, encodeRouteAck, encodeRouteAdvert, encodeRoutedBody,
  MAX_ROUTE_ADVERT_ITEMS, MAX_ROUTE_DICTIONARY_SIZE, ROUTE_METRIC_INFINITY, routedSealDomain, tagInfo, Tag,
  type PeerId, type RouteAdvertItem
} from '@ymesh/protocol'

const peer = 'S-aTgY0sPjmyRWNcP76LaEmuRCooiIJNuJ-XXFqB1Ok' as PeerId

describe('routing wire grammar', () => {
  it('round-trips updates, seqno requests and resets with dictionary references', () => {
    const items: RouteAdvertItem[] = [
      { kind: 'update', dest: { define: peer }, seqno: 0xffffffff, metric: ROUTE_METRIC_INFINITY, hops: 255 },
      { kind: 'seqno-request', dest: { index: 0 }, seqno: 7, hopLimit: 16 },
      { kind: 'reset' },
      { kind: 'update', dest: { index: MAX_ROUTE_DICTIONARY_SIZE - 1 }, seqno: 1, metric: 0, hops: 0 }
    ]
    expect(decodeRouteAdvert(encodeRouteAdvert(items))).toEqual(items)
  })

  it('refuses to encode out-of-range values', () => {
    expect(() => encodeRouteAdvert([])).toThrow(/1 to/)
    expect(() => encodeRouteAdvert(Array.from({ length: MAX_ROUTE_ADVERT_ITEMS + 1 }, () => ({ kind: 'reset' as const })))).toThrow(/1 to/)
    expect(() => encodeRouteAdvert([{ kind: 'update', dest: { index: -1 }, seqno: 1, metric: 1, hops: 1 }])).toThrow(/index/)
    expect(() => encodeRouteAdvert([{ kind: 'update', dest: { index: 0 }, seqno: 2 ** 32, metric: 1, hops: 1 }])).toThrow(/seqno/)
    expect(() => encodeRouteAdvert([{ kind: 'update', dest: { index: 0 }, seqno: 1, metric: 1e6, hops: 1 }])).toThrow(/metric/)
    expect(() => encodeRouteAdvert([{ kind: 'seqno-request', dest: { index: 0 }, seqno: 1, hopLimit: 99 }])).toThrow(/hop limit/)
  })

  it('rejects malformed adverts with InvalidMessageError', () => {
    const bad = [
      new Uint8Array([0]), // no items
      new Uint8Array([1, 3]), // unknown item kind
      new Uint8Array([1, 0, 1, 5, 0xff, 0xff, 0x04, 1]), // metric over infinity
      new Uint8Array([1, 2, 0]), // trailing byte
      new Uint8Array([1, 0, 0, 3, 0x21, 0x21, 0x21, 1, 1, 1]) // peer id with '!'
    ]
    for (const bytes of bad) expect(() => decodeRouteAdvert(bytes)).toThrowError(expect.objectContaining({ name: 'InvalidMessageError' }))
  })

  it('round-trips routed bodies and acks', () => {
    const messageId = new Uint8Array(16).fill(7)
    const body = { messageId, ackRequested: true, body: new Uint8Array([1, 2, 3]) }
    expect(decodeRoutedBody(encodeRoutedBody(body))).toEqual(body)
    expect(decodeRoutedBody(encodeRoutedBody({ ...body, ackRequested: false, body: new Uint8Array(0) })).ackRequested).toBe(false)
    expect(() => encodeRoutedBody({ ...body, messageId: new Uint8Array(3) })).toThrow(/16 bytes/)
    expect(() => decodeRoutedBody(encoding.encode((e) => { encoding.writeUint8Array(e, messageId); encoding.writeVarUint(e, 2) }))).toThrow()
    expect(decodeRouteAck(encodeRouteAck(messageId))).toEqual(messageId)
    expect(() => encodeRouteAck(new Uint8Array(15))).toThrow(/16 bytes/)
    expect(() => decodeRouteAck(new Uint8Array(17))).toThrow()
  })

  it('names the seal domain per payload type and source, and route-ack is a routed tag', () => {
    expect(routedSealDomain(1000, peer)).toBe(`ymesh/routed/v1/1000/${peer}`)
    expect(routedSealDomain(1000, peer).length).toBeLessThanOrEqual(127)
    expect(tagInfo(Tag.RouteAck)).toMatchObject({ name: 'route-ack', scope: 'routed', status: 'active' })
    expect(tagInfo(Tag.RouteAdvert)).toMatchObject({ name: 'route-advert', scope: 'link', status: 'active' })
  })
})
