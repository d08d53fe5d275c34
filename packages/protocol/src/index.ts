export type {
  PeerId,
  Timer,
  Clock,
  Rng,
  SignalData,
  IceCandidate,
  LinkState,
  LinkCloseEvent,
  LinkEvents,
  Observable,
  Link,
  CreateLinkOptions,
  Transport
} from './transport.js'
