// The host's own WebSocket (browsers, Deno, Node >= 22). Selected through package.json
// "imports" (#websocket) everywhere except Node, so browser builds never reference `ws`.
import type { WebSocketConstructor } from './websocket.js'

export const loadWebSocket = (): WebSocketConstructor | string => {
  const global = globalThis as { WebSocket?: WebSocketConstructor }
  return typeof global.WebSocket === 'function' ? global.WebSocket : 'this environment has no global WebSocket'
}
