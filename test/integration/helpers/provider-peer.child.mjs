// One provider in its own process, driven over IPC: a stock y-webrtc WebrtcProvider
// (YPEER_KIND=stock) or a MeshProvider from 'ymesh' (YPEER_KIND=mesh, run with tsx and the
// 'source' condition). Started by provider-peer.ts; not a test on its own.
//
// Parent -> child: { id, cmd: 'insert', text } | { id, cmd: 'text' } | { id, cmd: 'wait-text', text }
//   | { id, cmd: 'set-user', name } | { id, cmd: 'wait-user', name } | { id, cmd: 'destroy' }
// Child -> parent: { ready: true, text } once the provider exists, then { id, ok, value?, error? }.
import process from 'node:process'

const env = process.env
const [kind, room, signaling, password] = [env.YPEER_KIND, env.YPEER_ROOM, env.YPEER_SIGNALING, env.YPEER_PASSWORD || null]
const Y = await import('yjs')
const doc = new Y.Doc()
const text = doc.getText('t')
let provider
if (kind === 'stock') {
  globalThis.WebSocket = (await import('ws')).WebSocket
  const wrtc = (await import('@roamhq/wrtc')).default
  const { WebrtcProvider } = await import('y-webrtc')
  provider = new WebrtcProvider(room, doc, { signaling: [signaling], password, peerOpts: { wrtc } })
} else {
  const { MeshProvider, importIdentity } = await import('ymesh')
  const options = {
    signaling: [signaling],
    password,
    requireAuth: env.YPEER_REQUIRE_AUTH === '1',
    // Loopback only: tests talk to 127.0.0.1.
    peerOpts: { candidateFilter: (c) => c.candidate.includes(' 127.0.0.1 ') },
    logger: { debug () {}, warn () {} }
  }
  if (env.YPEER_IDENTITY) options.identity = await importIdentity(JSON.parse(env.YPEER_IDENTITY))
  if (env.YPEER_DATA) {
    const { FileStorage } = await import('@ymesh/sync/node')
    options.persistence = new FileStorage({ directory: env.YPEER_DATA })
  }
  provider = new MeshProvider(room, doc, options)
  await provider.whenReady
}

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
provider.awareness.on('change', check)

const users = () => [...provider.awareness.getStates().values()].map((s) => s.user)
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
        waiters.add({ test: () => text.toString().includes(m.text), done: () => reply(m.id, text.toString()) })
        return check()
      }
      case 'set-user':
        provider.awareness.setLocalStateField('user', m.name)
        return reply(m.id)
      case 'wait-user': {
        waiters.add({ test: () => users().includes(m.name), done: () => reply(m.id, users()) })
        return check()
      }
      case 'destroy':
        Promise.resolve(provider.destroy()).then(() => {
          reply(m.id)
          // Give the IPC reply a moment to leave, then go: wrtc keeps native handles alive.
          setTimeout(() => process.exit(0), 50)
        })
        return
      default:
        process.send({ id: m.id, ok: false, error: `unknown command ${m.cmd}` })
    }
  } catch (err) {
    process.send({ id: m.id, ok: false, error: String(err?.stack ?? err) })
  }
})
process.on('disconnect', () => process.exit(0))
process.send({ ready: true, text: text.toString() })
