// One stock y-webrtc peer (y-webrtc keeps one room per JS context, so one per process),
// driven by its parent over IPC. Started by stock-peer.ts; not a test on its own.
//
// Parent -> child: { id, cmd: 'insert', text } | { id, cmd: 'text' } | { id, cmd: 'wait-text', text }
//                  | { id, cmd: 'wait-peers', count } | { id, cmd: 'destroy' }
// Child -> parent: { ready: true } once the provider exists, then { id, ok, value?, error? } per command.
import process from 'node:process'

const [room, signaling, password] = [process.env.YPEER_ROOM, process.env.YPEER_SIGNALING, process.env.YPEER_PASSWORD]
globalThis.WebSocket = (await import('ws')).WebSocket
const wrtc = (await import('@roamhq/wrtc')).default
const Y = await import('yjs')
const { WebrtcProvider } = await import('y-webrtc')

const doc = new Y.Doc()
const text = doc.getText('t')
const provider = new WebrtcProvider(room, doc, {
  signaling: [signaling],
  password: password === undefined || password === '' ? null : password,
  peerOpts: { wrtc }
})

const waiters = new Set()
const check = () => {
  for (const w of waiters) {
    if (w.test()) {
      waiters.delete(w)
      w.done()
    }
  }
}
text.observe(check)
provider.on('peers', check)

const reply = (id, value) => process.send({ id, ok: true, value })
process.on('message', (m) => {
  try {
    switch (m.cmd) {
      case 'insert':
        text.insert(text.length, m.text)
        return reply(m.id)
      case 'text':
        return reply(m.id, text.toString())
      case 'wait-text': {
        const w = { test: () => text.toString().includes(m.text), done: () => reply(m.id, text.toString()) }
        waiters.add(w)
        return check()
      }
      case 'wait-peers': {
        const w = { test: () => provider.room !== null && provider.room.webrtcConns.size >= m.count, done: () => reply(m.id) }
        waiters.add(w)
        return check()
      }
      case 'destroy':
        provider.destroy()
        doc.destroy()
        reply(m.id)
        // Give the IPC reply a moment to leave, then go: wrtc keeps native handles alive.
        return setTimeout(() => process.exit(0), 50)
      default:
        process.send({ id: m.id, ok: false, error: `unknown command ${m.cmd}` })
    }
  } catch (err) {
    process.send({ id: m.id, ok: false, error: String(err?.stack ?? err) })
  }
})
process.on('disconnect', () => process.exit(0))
process.send({ ready: true })
