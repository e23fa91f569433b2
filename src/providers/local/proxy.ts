/**
 * The local load balancer: one public loopback port in front of the blue and
 * green slots. It routes each request (not each connection) to the slot that
 * is live when the request arrives, so a switch is atomic and a client's
 * keep-alive connection simply carries its next request to the new slot.
 * It counts requests in flight per slot, and pushes "drained" to waiters the
 * moment the last of them ends (no polling).
 */
import http from "node:http";
import net from "node:net";
import type { Duplex } from "node:stream";
import type { DrainResult, SlotName } from "./types.js";

/** Hop-by-hop headers (RFC 9110 §7.6.1) a proxy must not forward. */
const HOP_BY_HOP = ["connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "trailer", "upgrade"];
/** Bodies up to this size are kept so a request can be replayed once on a stale upstream socket. */
const REPLAY_LIMIT = 256 * 1024;
/** Shorter than the apps' keep-alive timeout, so the proxy always closes idle upstream sockets first. */
const UPSTREAM_IDLE_MS = 30_000;

interface Waiter {
  slot: SlotName;
  remaining: Set<number>;
  startedAt: number;
  pendingAtStart: number;
  lastEndedAt?: number;
  done(drained: boolean): void;
}

interface Upstream {
  port: number | undefined;
  agent: http.Agent;
}

/**
 * The client's raw headers (as sent: names, order, Host kept) minus hop-by-hop
 * and forwarding ones, plus X-Forwarded-*. A flat list skips Node's per-header
 * object handling on the hot path.
 */
function requestHeaders(req: http.IncomingMessage): string[] {
  const raw = req.rawHeaders;
  const out: string[] = [];
  let forwardedFor = "";
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    if (name === "x-forwarded-for") forwardedFor = forwardedFor ? `${forwardedFor}, ${raw[i + 1]!}` : raw[i + 1]!;
    else if (!HOP_BY_HOP.includes(name) && name !== "x-forwarded-host" && name !== "x-forwarded-proto") out.push(raw[i]!, raw[i + 1]!);
  }
  const remote = req.socket.remoteAddress ?? "";
  out.push("x-forwarded-for", forwardedFor ? `${forwardedFor}, ${remote}` : remote, "x-forwarded-host", req.headers.host ?? "", "x-forwarded-proto", "http");
  return out;
}

/** The upstream's raw headers minus hop-by-hop ones, plus which slot answered (a flat [name, value, ...] list). */
function responseHeaders(raw: string[], slot: SlotName): string[] {
  const out: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    if (!HOP_BY_HOP.includes(name.toLowerCase())) out.push(name, raw[i + 1]!);
  }
  out.push("x-cutover-slot", slot);
  return out;
}

export class ReverseProxy {
  readonly server: http.Server;
  private live: SlotName;
  private readonly upstreams: Record<SlotName, Upstream>;
  /** In-flight request ids per slot, with whether each is a write. */
  private readonly inFlight: Record<SlotName, Map<number, boolean>> = { blue: new Map(), green: new Map() };
  private readonly waiters = new Set<Waiter>();
  /** Open Upgrade tunnels, ended on close(). */
  private readonly tunnels = new Set<() => void>();
  private nextId = 1;
  served = 0;

  constructor(live: SlotName) {
    this.live = live;
    const agent = () => new http.Agent({ keepAlive: true, maxSockets: 256, maxFreeSockets: 64, timeout: UPSTREAM_IDLE_MS });
    this.upstreams = { blue: { port: undefined, agent: agent() }, green: { port: undefined, agent: agent() } };
    this.server = http.createServer((req, res) => this.handle(req, res));
    this.server.on("upgrade", (req: http.IncomingMessage, socket: Duplex, head: Buffer) => this.tunnel(req, socket, head));
    // Clients may hold keep-alive connections across many swaps.
    this.server.keepAliveTimeout = 65_000;
    this.server.headersTimeout = 66_000;
  }

  get liveSlot(): SlotName {
    return this.live;
  }

  /** Atomic: the next request to arrive goes to `slot`; requests in flight finish where they are. */
  setLive(slot: SlotName): void {
    this.live = slot;
  }

  setUpstream(slot: SlotName, port: number | undefined): void {
    const up = this.upstreams[slot];
    if (up.port !== port) {
      // Sockets to the previous process of this slot are useless now.
      up.agent.destroy();
      up.agent = new http.Agent({ keepAlive: true, maxSockets: 256, maxFreeSockets: 64, timeout: UPSTREAM_IDLE_MS });
    }
    up.port = port;
  }

  counts(slot: SlotName): { inFlight: number; inFlightWrites: number } {
    let writes = 0;
    for (const w of this.inFlight[slot].values()) if (w) writes++;
    return { inFlight: this.inFlight[slot].size, inFlightWrites: writes };
  }

  /**
   * Resolve when every request (or every write) that is in flight on `slot`
   * now has ended. New requests do not extend the wait: on an idle slot that is
   * "in-flight reached 0"; on a live slot in read-only mode it is "no write
   * accepted before the flag flipped is still running".
   */
  waitDrained(slot: SlotName, opts: { writesOnly: boolean; timeoutMs: number; signal?: AbortSignal }): Promise<DrainResult> {
    const startedAt = Date.now();
    const remaining = new Set<number>();
    for (const [id, isWrite] of this.inFlight[slot]) if (!opts.writesOnly || isWrite) remaining.add(id);
    if (remaining.size === 0) {
      return Promise.resolve({ slot, drained: true, pendingAtStart: 0, waitedMs: 0, drainedAt: startedAt });
    }
    return new Promise((resolve) => {
      const finish = (drained: boolean, w: Waiter) => {
        clearTimeout(timer);
        opts.signal?.removeEventListener("abort", onAbort);
        this.waiters.delete(w);
        const now = Date.now();
        resolve({ slot, drained, pendingAtStart: w.pendingAtStart, waitedMs: now - startedAt, lastEndedAt: w.lastEndedAt, drainedAt: now });
      };
      const waiter: Waiter = {
        slot,
        remaining,
        startedAt,
        pendingAtStart: remaining.size,
        done: (drained) => finish(drained, waiter),
      };
      const timer = setTimeout(() => finish(false, waiter), opts.timeoutMs);
      const onAbort = () => finish(false, waiter);
      opts.signal?.addEventListener("abort", onAbort, { once: true });
      this.waiters.add(waiter);
    });
  }

  private track(slot: SlotName, isWrite: boolean): number {
    const id = this.nextId++;
    this.inFlight[slot].set(id, isWrite);
    return id;
  }

  private untrack(slot: SlotName, id: number): void {
    if (!this.inFlight[slot].delete(id)) return;
    this.served++;
    for (const w of this.waiters) {
      if (w.slot === slot && w.remaining.delete(id)) {
        w.lastEndedAt = Date.now();
        if (w.remaining.size === 0) w.done(true);
      }
    }
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const slot = this.live;
    const port = this.upstreams[slot].port;
    if (port === undefined) {
      res.writeHead(503, { "content-type": "text/plain", "retry-after": "1", "x-cutover-slot": slot });
      res.end(`cutover: the live slot (${slot}) is not running\n`);
      return;
    }
    const isWrite = req.method !== "GET" && req.method !== "HEAD" && req.method !== "OPTIONS";
    const id = this.track(slot, isWrite);
    let upReq: http.ClientRequest | undefined;
    // `close` fires once the response is done or the client went away: either ends the request.
    res.on("close", () => {
      this.untrack(slot, id);
      if (!res.writableFinished) upReq?.destroy();
    });

    // Keep a copy of a (small) body so the request can be replayed; most reads have none.
    const hasBody = (req.headers["content-length"] !== undefined && req.headers["content-length"] !== "0") || req.headers["transfer-encoding"] !== undefined;
    const body: Buffer[] = [];
    let bodySize = 0;
    let bodyComplete = !hasBody;
    if (hasBody) {
      req.on("data", (chunk: Buffer) => {
        bodySize += chunk.length;
        if (bodySize <= REPLAY_LIMIT) body.push(chunk);
      });
      req.on("end", () => {
        bodyComplete = true;
      });
    }

    const headers = requestHeaders(req);

    const forward = (replay: boolean): void => {
      const up = http.request({ host: "127.0.0.1", port, method: req.method, path: req.url, headers, agent: this.upstreams[slot].agent }, (upRes) => {
        res.writeHead(upRes.statusCode ?? 502, responseHeaders(upRes.rawHeaders, slot));
        upRes.pipe(res);
        upRes.on("error", () => res.destroy());
      });
      upReq = up;
      up.on("error", (err: NodeJS.ErrnoException) => {
        // A keep-alive socket the app closed just as we reused it: the request never
        // reached the app, so replaying it once on a fresh socket is safe.
        const stale = up.reusedSocket && (err.code === "ECONNRESET" || err.code === "EPIPE");
        if (!replay && stale && !res.headersSent && bodyComplete && bodySize <= REPLAY_LIMIT) return forward(true);
        if (!res.headersSent) {
          res.writeHead(502, { "content-type": "text/plain", "retry-after": "1", "x-cutover-slot": slot });
          res.end(`cutover: upstream ${slot} failed: ${err.code ?? err.message}\n`);
        } else res.destroy();
      });
      if (replay) up.end(body.length ? Buffer.concat(body) : undefined);
      else if (hasBody) req.pipe(up);
      else up.end();
    };
    forward(false);
  }

  /**
   * An Upgrade request (WebSocket): a byte tunnel to the slot live when it
   * arrived, counted in flight until either side closes, so a drain waits for
   * long-lived connections too (bounded by its timeout).
   */
  private tunnel(req: http.IncomingMessage, socket: Duplex, head: Buffer): void {
    const slot = this.live;
    const port = this.upstreams[slot].port;
    socket.on("error", () => socket.destroy());
    if (port === undefined) {
      socket.end("HTTP/1.1 503 Service Unavailable\r\nretry-after: 1\r\nconnection: close\r\ncontent-length: 0\r\n\r\n");
      return;
    }
    const id = this.track(slot, false);
    const upstream = net.connect(port, "127.0.0.1");
    let ended = false;
    const end = () => {
      if (ended) return;
      ended = true;
      this.untrack(slot, id);
      socket.destroy();
      upstream.destroy();
    };
    let connected = false;
    upstream.on("connect", () => {
      connected = true;
      // Hop-by-hop Connection/Upgrade headers are the point here: forward the head as received.
      let text = `${req.method} ${req.url} HTTP/${req.httpVersion}\r\n`;
      for (let i = 0; i < req.rawHeaders.length; i += 2) text += `${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}\r\n`;
      text += `x-forwarded-for: ${req.socket.remoteAddress ?? ""}\r\nx-forwarded-proto: http\r\n\r\n`;
      upstream.write(text);
      if (head.length) upstream.write(head);
      socket.pipe(upstream);
      upstream.pipe(socket);
    });
    upstream.on("error", () => {
      if (connected || ended) return end();
      // Could not reach the app: answer, then let the client close.
      ended = true;
      this.untrack(slot, id);
      socket.end("HTTP/1.1 502 Bad Gateway\r\nconnection: close\r\ncontent-length: 0\r\n\r\n");
    });
    // Either side closing ends the tunnel (WebSocket closes with its own handshake first).
    upstream.on("end", end);
    socket.on("end", end);
    upstream.on("close", end);
    socket.on("close", end);
    this.tunnels.add(end);
    socket.once("close", () => this.tunnels.delete(end));
  }

  async close(): Promise<void> {
    for (const w of this.waiters) w.done(false);
    for (const end of [...this.tunnels]) end();
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeIdleConnections();
    });
    this.upstreams.blue.agent.destroy();
    this.upstreams.green.agent.destroy();
  }
}
