// A stock y-webrtc peer (Node, @roamhq/wrtc) in one room: prints "seen" once the room's
// messages contain argv[4], then exits. y-webrtc keeps one room per process, hence a process.
const [signaling, room, text] = process.argv.slice(2)
globalThis.WebSocket = (await import('ws')).WebSocket
const wrtc = (await import('@roamhq/wrtc')).default
const Y = await import('yjs')
const { WebrtcProvider } = await import('y-webrtc')

const doc = new Y.Doc()
const provider = new WebrtcProvider(room, doc, { signaling: [signaling], peerOpts: { wrtc } })
const messages = doc.getArray('messages')
const check = () => {
  if (messages.toArray().some((m) => m?.text === text)) {
    process.stdout.write('seen\n')
    provider.destroy()
    setTimeout(() => process.exit(0), 100)
  }
}
messages.observe(check)
check()
setTimeout(() => { process.stdout.write('timeout\n'); process.exit(1) }, 40_000)
