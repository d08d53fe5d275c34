/**
 * Room admission: before two ymesh peers exchange a document's content over a connection,
 * each tells the other that the connection serves that room, and in a password room proves
 * it holds the room key (y-webrtc's PBKDF2-derived AES-GCM key). The peer's own view (which
 * room topics a connection serves, learnt from signaling) is necessary but not enough for
 * password rooms: a signal relayed through the mesh that merely names the topic adds a
 * connection to it. And a connection often comes to serve a room after it opened (both
 * peers join the room later), so the exchange also tells the other side "start syncing
 * now", which makes the start symmetric.
 *
 *   room-admission (in doc-sync) = 34 • reply:varUint (0 | 1) • proof:varUint8Array
 *   proof = '' (room without a password)
 *         | y-webrtc AES-GCM blob of transcript, under the room key
 *   transcript = varString('ymesh/room-admission/v1') • varString(docId) • varString(from) • varString(to)
 *
 * The transcript names both peers, so a proof cannot be replayed to a third peer or
 * reflected. reply 0 asks for the other side's admission (sent when we start serving the
 * room on the connection, and again with backoff until theirs arrives); reply 1 answers
 * one. Content from a connection is accepted only once its admission was verified; frames
 * arriving while one is being verified wait (bounded) so nothing the remote sent right after
 * admitting us is lost.
 */
import * as decoding from 'lib0/decoding'
import * as encoding from 'lib0/encoding'
import { InvalidMessageError, decodeAll, readBoundedVarUint, readBoundedVarUint8Array, type Clock, type PeerId, type Rng } from '@ymesh/protocol'
import { decryptYWebrtc, encryptYWebrtc } from '@ymesh/crypto'
import type { Connection } from '@ymesh/core'

/** The first byte of a room-admission message (outside @ymesh/sync's 0–4 and the provider's 32, 33). */
export const ROOM_ADMISSION_TYPE = 34
export const ROOM_ADMISSION_DOMAIN = 'ymesh/room-admission/v1'
/** A proof is one AES-GCM blob of a short transcript; anything longer is not one. */
const MAX_PROOF_BYTES = 2_048
/** Frames held per connection while its admission is being verified. */
const MAX_HELD = 64
const RETRY_BASE_MS = 1_000
const RETRY_MAX_MS = 8_000

export interface RoomAdmissionMessage {
  readonly reply: boolean
  readonly proof: Uint8Array
}

export const encodeRoomAdmission = (m: RoomAdmissionMessage): Uint8Array => encoding.encode((e) => {
  encoding.writeVarUint(e, ROOM_ADMISSION_TYPE)
  encoding.writeVarUint(e, m.reply ? 1 : 0)
  encoding.writeVarUint8Array(e, m.proof)
})

/** Throws InvalidMessageError when malformed. */
export const decodeRoomAdmission = (bytes: Uint8Array): RoomAdmissionMessage => decodeAll(bytes, 'room admission', (d) => {
  const type = decoding.readVarUint(d)
  if (type !== ROOM_ADMISSION_TYPE) throw new InvalidMessageError(`room admission starts with ${ROOM_ADMISSION_TYPE}, not ${type}`)
  const reply = readBoundedVarUint(d, 1, 'room admission reply flag') === 1
  return { reply, proof: readBoundedVarUint8Array(d, MAX_PROOF_BYTES, 'room admission proof') }
})

export const admissionTranscript = (docId: string, from: PeerId, to: PeerId): Uint8Array => encoding.encode((e) => {
  encoding.writeVarString(e, ROOM_ADMISSION_DOMAIN)
  encoding.writeVarString(e, docId)
  encoding.writeVarString(e, from)
  encoding.writeVarString(e, to)
})

export interface RoomAdmissionOptions {
  readonly docId: string
  readonly localPeer: PeerId
  /** The room's y-webrtc key (password rooms); null: knowing the room's name is what membership means. */
  readonly key: CryptoKey | null
  readonly clock: Clock
  readonly rng: Rng
  readonly send: (connection: Connection, message: Uint8Array) => void
  /** The connection proved it serves the room: start syncing with it. */
  readonly admitted: (connection: Connection) => void
  /** A held frame, delivered once its connection was admitted. */
  readonly deliver: (connection: Connection, message: Uint8Array) => void
  readonly refused: (connection: Connection, reason: 'not-a-member' | 'malformed', detail: string) => void
}

interface State {
  admitted: boolean
  verifying: number
  readonly held: Uint8Array[]
  proof: Promise<Uint8Array> | null
  offers: number
  lastOffer: number
}

const EMPTY = new Uint8Array(0)

const equal = (a: Uint8Array, b: Uint8Array): boolean => a.length === b.length && a.every((x, i) => x === b[i])

export class RoomAdmission {
  private readonly states = new Map<Connection, State>()

  constructor (private readonly o: RoomAdmissionOptions) {}

  isAdmitted (connection: Connection): boolean {
    return this.states.get(connection)?.admitted === true
  }

  /**
   * The peer lists `connection` for this room: ask for its admission (ours attached), unless
   * it is admitted or we asked recently (1, 2, 4, 8, 8 ... s: admissions can be lost).
   */
  offer (connection: Connection): void {
    const s = this.stateOf(connection)
    if (s.admitted) return
    const now = this.o.clock.now()
    if (s.offers > 0 && now - s.lastOffer < Math.min(RETRY_MAX_MS, RETRY_BASE_MS * 2 ** (s.offers - 1))) return
    s.offers++
    s.lastOffer = now
    this.withProof(connection, s, (proof) => { this.o.send(connection, encodeRoomAdmission({ reply: false, proof })) })
  }

  /** A room-admission message from `connection` (which the peer lists for this room). */
  receive (connection: Connection, message: Uint8Array): void {
    let m: RoomAdmissionMessage
    try {
      m = decodeRoomAdmission(message)
    } catch (err) {
      this.o.refused(connection, 'malformed', `room admission: ${err instanceof Error ? err.message : String(err)}`)
      return
    }
    const s = this.stateOf(connection)
    const key = this.o.key
    if (key === null) {
      this.accepted(connection, s, m.reply)
      return
    }
    // Frames that follow wait until this admission is settled (verified, answered, applied).
    s.verifying++
    const settled = (): void => {
      s.verifying--
      if (s.verifying === 0 && !s.admitted) this.refuseHeld(connection, s)
    }
    const expected = admissionTranscript(this.o.docId, connection.remotePeer, this.o.localPeer)
    const opened = decryptYWebrtc(m.proof, key).then((plain) => equal(plain, expected), () => false)
    void this.o.clock.settle(opened).then((ok) => {
      if (this.states.get(connection) !== s) return
      if (ok) { this.accepted(connection, s, m.reply, settled); return }
      this.o.refused(connection, 'not-a-member', 'room admission: the proof does not open with this room\'s key (another password, or none)')
      settled()
    })
  }

  /** A content frame from a connection not admitted (yet): true if it waits for an admission being verified. */
  hold (connection: Connection, message: Uint8Array): boolean {
    const s = this.states.get(connection)
    if (s === undefined || s.verifying === 0 || s.held.length >= MAX_HELD) return false
    s.held.push(message)
    return true
  }

  /** The connection closed or no longer serves the room: it must be admitted again. */
  forget (connection: Connection): void {
    this.states.delete(connection)
  }

  clear (): void {
    this.states.clear()
  }

  private stateOf (connection: Connection): State {
    let s = this.states.get(connection)
    if (s === undefined) this.states.set(connection, s = { admitted: false, verifying: 0, held: [], proof: null, offers: 0, lastOffer: 0 })
    return s
  }

  /** Our proof for this connection's remote, then `use(proof)` — synchronously in rooms without a password. */
  private withProof (connection: Connection, s: State, use: (proof: Uint8Array) => void): void {
    const key = this.o.key
    if (key === null) { use(EMPTY); return }
    const transcript = admissionTranscript(this.o.docId, this.o.localPeer, connection.remotePeer)
    s.proof ??= this.o.clock.settle(encryptYWebrtc(transcript, key, { random: (n) => this.o.rng.bytes(n) }))
    s.proof.then((proof) => {
      if (this.states.get(connection) === s && connection.state === 'open') use(proof)
    }, () => { this.o.refused(connection, 'not-a-member', 'room admission: could not make our proof') })
  }

  /** A verified admission: answer it (unless it is an answer), then admit and deliver what waited. */
  private accepted (connection: Connection, s: State, reply: boolean, settled?: () => void): void {
    const finish = (): void => {
      if (this.states.get(connection) !== s) return
      if (!s.admitted) {
        s.admitted = true
        this.o.admitted(connection)
      }
      for (const message of s.held.splice(0)) this.o.deliver(connection, message)
      settled?.()
    }
    if (reply) { finish(); return }
    // Our answer goes out before anything else of ours, so the remote admits us before our content arrives.
    this.withProof(connection, s, (proof) => {
      this.o.send(connection, encodeRoomAdmission({ reply: true, proof }))
      finish()
    })
  }

  private refuseHeld (connection: Connection, s: State): void {
    const n = s.held.splice(0).length
    if (n > 0) this.o.refused(connection, 'not-a-member', `${n} frame(s) held for a refused room admission`)
  }
}
