import { describe, expect, it } from 'vitest'
import * as encoding from 'lib0/encoding'
import { decodeIHave, decodeIWant, encodeGossipControl, idKey, IHaveFlag, IWantFlag, MAX_GOSSIP_IDS } from '../../src/gossip/wire.js'

const id = (n: number): Uint8Array => new Uint8Array(16).fill(n)

describe('gossip control frames', () => {
  it('round-trip topic, flags and ids', () => {
    const bytes = encodeGossipControl({ topic: 'room/ä', flags: IHaveFlag.Prune | IHaveFlag.Subscribe, ids: [id(1), id(2)] })
    const decoded = decodeIHave(bytes)
    expect(decoded.topic).toBe('room/ä')
    expect(decoded.flags).toBe(3)
    expect(decoded.ids.map(idKey)).toEqual([idKey(id(1)), idKey(id(2))])
    expect(decodeIWant(encodeGossipControl({ topic: 't', flags: IWantFlag.Graft, ids: [] })).flags).toBe(1)
  })

  it('refuse what the grammar does not allow, with InvalidMessageError', () => {
    const raw = (write: (e: encoding.Encoder) => void): Uint8Array => encoding.encode(write)
    const bad = [
      raw((e) => { encoding.writeVarString(e, ''); encoding.writeVarUint(e, 0); encoding.writeVarUint(e, 0) }), // empty topic
      raw((e) => { encoding.writeVarString(e, 't'); encoding.writeVarUint(e, 16); encoding.writeVarUint(e, 0) }), // unknown flag
      raw((e) => { encoding.writeVarString(e, 't'); encoding.writeVarUint(e, 0); encoding.writeVarUint(e, 2); encoding.writeUint8Array(e, id(1)) }), // truncated
      raw((e) => { encoding.writeVarString(e, 't'); encoding.writeVarUint(e, 0); encoding.writeVarUint(e, MAX_GOSSIP_IDS + 1) }),
      raw((e) => { encoding.writeVarString(e, 't'); encoding.writeVarUint(e, 0); encoding.writeVarUint(e, 0); encoding.writeVarUint(e, 0) }) // trailing
    ]
    for (const bytes of bad) expect(() => decodeIHave(bytes)).toThrow(expect.objectContaining({ name: 'InvalidMessageError' }))
    expect(() => decodeIWant(encodeGossipControl({ topic: 't', flags: IHaveFlag.Subscribe, ids: [] }))).toThrow(expect.objectContaining({ name: 'InvalidMessageError' }))
  })

  it('refuse to encode a frame the wire cannot carry', () => {
    expect(() => encodeGossipControl({ topic: '', flags: 0, ids: [] })).toThrow(expect.objectContaining({ name: 'InvalidMessageError' }))
    expect(() => encodeGossipControl({ topic: 't', flags: 0, ids: [new Uint8Array(3)] })).toThrow(expect.objectContaining({ name: 'InvalidMessageError' }))
    expect(() => encodeGossipControl({ topic: 't', flags: 0, ids: new Array(MAX_GOSSIP_IDS + 1).fill(id(0)) })).toThrow(expect.objectContaining({ name: 'InvalidMessageError' }))
  })
})
