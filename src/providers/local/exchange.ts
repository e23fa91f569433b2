/**
 * The fast path's bookkeeping: what a client connection asks of the proxy
 * (routing, in-flight accounting, the hand-off to Node's server), and the
 * state of one request/response exchange on it.
 */
import type net from "node:net";
import type { RequestHead } from "./http1.js";
import type { ClientConnection } from "./proxy-connection.js";
import { ResponseReader } from "./response-reader.js";
import type { SlotName } from "./types.js";
import type { UpstreamConnection, UpstreamPool } from "./upstream-pool.js";

/** Request bodies up to this size are kept so the request can be replayed once on a stale upstream socket. */
export const REPLAY_LIMIT = 256 * 1024;
export interface ProxyRouter {
  /** The slot live at this moment, and its connection pool. */
  route(): { slot: SlotName; pool: UpstreamPool };
  track(slot: SlotName, isWrite: boolean): number;
  untrack(slot: SlotName, id: number): void;
  /** Give the connection, with bytes read but not handled, to Node's HTTP server. */
  handOff(socket: net.Socket, unread: Buffer | undefined): void;
  closed(conn: ClientConnection): void;
}

/** One request/response exchange in progress on a connection. */
export interface Exchange {
  slot: SlotName;
  id: number;
  head: RequestHead;
  pool: UpstreamPool;
  up: UpstreamConnection | undefined;
  /** Request body bytes still to come from the client. */
  bodyLeft: number;
  /** Body bytes sent so far, while they fit REPLAY_LIMIT (undefined: too big to replay). */
  copy: Buffer[] | undefined;
  copySize: number;
  /** The upstream connection had served earlier requests (only then is a silent close a stale socket). */
  reused: boolean;
  replayed: boolean;
  /** Response bytes arrived from the app (a stale-socket replay is only safe before). */
  started: boolean;
  reader: ResponseReader;
  /** The app said it will close this connection after the response. */
  upstreamCloses: boolean;
  headSent: boolean;
  responseDone: boolean;
}

export function newExchange(slot: SlotName, pool: UpstreamPool, head: RequestHead): Exchange {
  return {
    slot,
    id: 0,
    head,
    pool,
    up: undefined,
    bodyLeft: head.contentLength,
    copy: head.contentLength <= REPLAY_LIMIT ? [] : undefined,
    copySize: 0,
    reused: false,
    replayed: false,
    started: false,
    reader: new ResponseReader(head.method),
    upstreamCloses: false,
    headSent: false,
    responseDone: false,
  };
}
