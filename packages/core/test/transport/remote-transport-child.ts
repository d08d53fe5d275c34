// A WebRtcTransport in a process of its own, driven over IPC by remote-transport.ts, so that
// a test can make a peer vanish for real (SIGKILL: no goodbye, no SCTP abort).
import type { Link, PeerId } from '@ymesh/protocol'
import { WebRtcTransport } from '@ymesh/core'
import type { ChildEvent, ParentCommand } from './remote-transport.js'

const LOOPBACK = / 127\.0\.0\.1 \d+ typ /
const send = (event: ChildEvent): void => { process.send?.(event) }

const transport = new WebRtcTransport({
  localPeer: process.env.YMESH_REMOTE_PEER as PeerId,
  candidateFilter: (candidate) => LOOPBACK.test(candidate.candidate)
})
const links = new Map<number, Link>()

process.on('message', (command: ParentCommand) => {
  switch (command.op) {
    case 'create': {
      const id = command.id
      const link = transport.createLink({
        remotePeer: command.remotePeer as PeerId,
        initiator: command.initiator,
        onSignal: (data) => send({ ev: 'signal', id, data })
      })
      links.set(id, link)
      link.on('open', () => send({ ev: 'open', id, maxMessageSize: link.maxMessageSize, localFingerprint: link.localFingerprint, remoteFingerprint: link.remoteFingerprint }))
      link.on('message', (data) => send({ ev: 'message', id, data }))
      link.on('buffered-amount-low', () => send({ ev: 'low', id }))
      link.on('close', (event) => { links.delete(id); send({ ev: 'close', id, reason: event.reason, errorName: event.error?.name, errorMessage: event.error?.message }) })
      break
    }
    case 'signal': links.get(command.id)?.signal(command.data); break
    case 'send': try { links.get(command.id)?.send(command.data) } catch { /* the close event follows */ } break
    case 'threshold': { const link = links.get(command.id); if (link !== undefined) link.bufferedAmountLowThreshold = command.value; break }
    case 'close': links.get(command.id)?.close(); break
    case 'close-transport': transport.close(); send({ ev: 'transport-closed' }); process.disconnect(); break
  }
})
send({ ev: 'ready' })
