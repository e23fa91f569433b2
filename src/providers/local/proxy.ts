/**
 * The local load balancer: one public loopback port in front of the blue and
 * green slots, on Node's HTTP server (clients) and undici pools (one per slot,
 * keep-alive connections to its app). What is cutover's own:
 *
 * - each request (not each connection) goes to the slot live when its head is
 *   read, so a switch is atomic and a client's keep-alive connection simply
 *   carries its next request to the new slot;
 * - requests in flight are counted per slot, writes apart, and a drain is told
 *   the moment the last request it waits for ends (proxy-in-flight.ts);
 * - the proxy answers 503 itself when the live slot has no process and 502 when
 *   the app fails before answering, both with Retry-After (proxy-forward.ts);
 * - weighted routing (traffic.shift): a set share of the requests may go to
 *   the other slot, spread evenly over consecutive requests (setCanary);
 * - headers: hop-by-hop ones dropped, X-Forwarded-For/Host/Proto set
 *   (proxy-headers.ts); Upgrade requests become counted tunnels (proxy-tunnel.ts).
 */
import http from "node:http";
import type { Duplex } from "node:stream";
import { setTimeout as sleep } from "node:timers/promises";
import { Pool } from "undici";
import { forward, type Route } from "./proxy-forward.js";
import { InFlight } from "./proxy-in-flight.js";
import { tunnel } from "./proxy-tunnel.js";
import type { Canary, DrainResult, SlotName } from "../../core/slots.js";

/** How long idle connections live. Defaults suit production; tests shorten them. */
export interface IdleTimeouts {
  /** Clients may hold keep-alive connections across many swaps; idle longer than this, they are closed. */
  clientIdleMs: number;
  /** Shorter than the apps' keep-alive timeout, so the proxy closes idle upstream sockets first. */
  upstreamIdleMs: number;
}
const IDLE_DEFAULTS: IdleTimeouts = { clientIdleMs: 65_000, upstreamIdleMs: 30_000 };
/** How long close() lets requests in progress finish before cutting them. */
const CLOSE_GRACE_MS = 10_000;
/** Response heads from the apps may be this large (Node's own limit, 16 KiB, is for clients' requests). */
const MAX_RESPONSE_HEAD = 64 * 1024;

interface Upstream {
  /** The app's port; undefined while the slot has no process. */
  port: number | undefined;
  pool: Pool | undefined;
}

const CLIENT_ERRORS: Record<string, string> = {
  HPE_HEADER_OVERFLOW: "431 Request Header Fields Too Large",
  HPE_CHUNK_EXTENSIONS_OVERFLOW: "413 Payload Too Large",
  ERR_HTTP_REQUEST_TIMEOUT: "408 Request Timeout",
};

/**
 * Node's default answer to a bad request (400; 431 for an oversized head, 408 for a slow one),
 * except for bytes after a request that said `Connection: close`: RFC 9112 §9.6
 * says to ignore them, and the answer to that request must still go out.
 */
function onClientError(err: NodeJS.ErrnoException, socket: Duplex): void {
  if (err.code === "HPE_CLOSED_CONNECTION") return;
  // Node's internal reference to the response in progress: once its head is out, a second status line would corrupt it.
  const inProgress = (socket as { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (socket.writable && !inProgress?.headersSent)
    socket.write(`HTTP/1.1 ${CLIENT_ERRORS[err.code ?? ""] ?? "400 Bad Request"}\r\nConnection: close\r\n\r\n`);
  socket.destroy(err);
}

export class ReverseProxy {
  /** The public listener; the supervisor makes it listen. */
  readonly server: http.Server;
  private live: SlotName;
  private readonly upstreams: Record<SlotName, Upstream> = {
    blue: { port: undefined, pool: undefined },
    green: { port: undefined, pool: undefined },
  };
  private readonly inFlight = new InFlight();
  /** Open Upgrade tunnels, each with the function that ends it. */
  private readonly tunnels = new Set<() => void>();
  private readonly idle: IdleTimeouts;
  /** Weighted routing (traffic.shift): this share of the requests goes to the other slot; undefined: none. */
  private canary: Canary | undefined;
  /** Requests routed since the split was set: spreads the canary's share evenly (no randomness). */
  private routed = 0;

  constructor(live: SlotName, idle: Partial<IdleTimeouts> = {}, canary?: Canary) {
    this.live = live;
    this.canary = canary;
    this.idle = { ...IDLE_DEFAULTS, ...idle };
    // No limit on how long a request may take to arrive (uploads, long polls): the app decides.
    this.server = http.createServer({ requestTimeout: 0, noDelay: true }, (req, res) =>
      forward(this.route(), this.inFlight, req, res),
    );
    this.server.keepAliveTimeout = this.idle.clientIdleMs;
    // A client that half-closes after sending its requests still gets its answers (Node's own flag, untyped).
    Object.assign(this.server, { httpAllowHalfOpen: true });
    this.server.on("clientError", onClientError);
    this.server.on("upgrade", (req: http.IncomingMessage, socket, head: Buffer) => {
      const slot = this.pick();
      const end = tunnel(slot, this.upstreams[slot].port, this.inFlight, req, socket, head);
      if (!end) return;
      this.tunnels.add(end);
      socket.once("close", () => this.tunnels.delete(end));
    });
  }

  get liveSlot(): SlotName {
    return this.live;
  }

  /** Requests (and tunnels) ended since the proxy started. */
  get served(): number {
    return this.inFlight.served;
  }

  /** Atomic: the next request to arrive goes to `slot`; requests in flight finish where they are. */
  setLive(slot: SlotName): void {
    this.live = slot;
  }

  /** Send `percent` of the next requests to `slot` (the other slot than the live one); undefined: none. */
  setCanary(canary: Canary | undefined): void {
    this.canary = canary && canary.percent > 0 && canary.slot !== this.live ? canary : undefined;
    this.routed = 0;
  }

  get canarySplit(): Canary | undefined {
    return this.canary;
  }

  /** Point `slot` at its app's port (undefined: no process). Requests in flight on the previous port finish there. */
  setUpstream(slot: SlotName, port: number | undefined): void {
    const up = this.upstreams[slot];
    if (up.port === port) return;
    const previous = up.pool;
    up.port = port;
    up.pool = port === undefined ? undefined : this.newPool(port);
    // Closes once its requests in flight have ended; its idle connections now.
    previous?.close().catch(() => undefined);
  }

  private newPool(port: number): Pool {
    return new Pool(`http://127.0.0.1:${port}`, {
      // Idle connections are closed before the app's keep-alive timeout (or its Keep-Alive hint) would.
      keepAliveTimeout: this.idle.upstreamIdleMs,
      keepAliveMaxTimeout: this.idle.upstreamIdleMs,
      // A slow answer or a quiet stream is the app's business; the client can always hang up.
      headersTimeout: 0,
      bodyTimeout: 0,
      maxHeaderSize: MAX_RESPONSE_HEAD,
    });
  }

  private route(): Route {
    const slot = this.pick();
    return { slot, pool: this.upstreams[slot].pool };
  }

  /**
   * The slot for the next request: the canary's request n is the one where floor(n·p/100) steps up, so
   * any 100 consecutive requests give it exactly p of them (a test of the split needs no luck).
   */
  private pick(): SlotName {
    const c = this.canary;
    if (!c) return this.live;
    const n = this.routed++;
    return Math.floor(((n + 1) * c.percent) / 100) > Math.floor((n * c.percent) / 100) ? c.slot : this.live;
  }

  counts(slot: SlotName): { inFlight: number; inFlightWrites: number } {
    return this.inFlight.counts(slot);
  }

  /** See InFlight.waitDrained: waits for the requests in flight on `slot` now, not later ones. */
  waitDrained(
    slot: SlotName,
    opts: { writesOnly: boolean; timeoutMs: number; signal?: AbortSignal },
  ): Promise<DrainResult> {
    return this.inFlight.waitDrained(slot, opts);
  }

  /** Stop accepting, let requests in progress finish (idle connections close now), then release everything. */
  async close(): Promise<void> {
    this.inFlight.abandonWaiters();
    for (const end of [...this.tunnels]) end();
    let closed = false;
    const listening = new Promise<void>((resolve) => this.server.close(() => resolve())).then(() => (closed = true));
    const deadline = Date.now() + CLOSE_GRACE_MS;
    // A keep-alive connection becomes idle when its answer is sent: close it then.
    while (!closed && Date.now() < deadline) {
      this.server.closeIdleConnections();
      await sleep(10);
    }
    this.server.closeAllConnections();
    await listening;
    for (const up of Object.values(this.upstreams)) {
      const pool = up.pool;
      up.pool = up.port = undefined;
      await pool?.destroy().catch(() => undefined);
    }
  }
}
