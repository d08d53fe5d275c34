export { Simulator } from './simulator.js'
export type { SimulatorOptions, RunOptions, RunResult } from './simulator.js'
export { SimClock } from './sim-clock.js'
export { SimRng } from './sim-rng.js'
export { SimNetwork } from './network.js'
export type { NetworkOptions } from './network.js'
export { SimTransport } from './sim-transport.js'
export { SimLink } from './sim-link.js'
export { SimNode } from './sim-node.js'
export { DEFAULT_LINK_PARAMS } from './link-params.js'
export type { LinkParams, BurstLoss } from './link-params.js'
export type { Partition, PartitionRule } from './partitions.js'
export type { TraceEvent, TraceOption } from './trace.js'
export { formatFingerprint, parseSdp } from './sdp.js'
export type { SessionDescription } from './sdp.js'
export {
  MaxEventsExceededError,
  SettleTimeoutError,
  UnknownPeerError,
  NodeCrashedError,
  InvalidSignalError,
  TransportClosedError,
  DuplicatePeerError,
  MessageMutatedError
} from './errors.js'
