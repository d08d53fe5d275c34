// Node's WebSocket: the `ws` package (Node 20 has no global WebSocket). Selected through
// package.json "imports" (#websocket, condition "node").
import WebSocket from 'ws'
import type { WebSocketConstructor } from './websocket.js'

export const loadWebSocket = (): WebSocketConstructor | string => WebSocket as unknown as WebSocketConstructor
