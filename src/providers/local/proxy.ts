/**
 * The local load balancer: one public loopback port in front of the blue and
 * green slots. It routes each request (not each connection) to the slot that
 * is live when the request arrives, so a switch is atomic and a client's
 * keep-alive connection simply carries its next request to the new slot.
 * It counts requests in flight per slot, and pushes "drained" to waiters the
 * moment the last of them ends (no polling).
 *
 * Two paths share that routing and accounting: a fast one that parses plain
 * HTTP/1.1 by hand over raw sockets (proxy-connection.ts: most of the
 * traffic, at about half the CPU of Node's HTTP stack) and Node's HTTP server
 * for everything else, WebSocket tunnels included (proxy-node.ts).
 */
import http from "node:http";
import net from "node:net";
import type { ProxyRouter } from "./exchange.js";
import { ClientConnection } from "./proxy-connection.js";
import { createNodePath, type NodePathRouter } from "./proxy-node.js";
import { UPSTREAM_IDLE_MS, UpstreamPool } from "./upstream-pool.js";
import type { DrainResult, SlotName } from "./types.js";

/** How long idle connections live. Defaults suit production; tests shorten them. */
export interface IdleTimeouts {
  /** Clients may hold keep-alive connections across many swaps; idle longer than this, they are closed. */
  clientIdleMs: number;
  /** Shorter than the apps' keep-alive timeout, so the proxy closes idle upstream sockets first. */
  upstreamIdleMs: number;
  sweepIntervalMs: number;
}
const IDLE_DEFAULTS: IdleTimeouts = { clientIdleMs: 65_000, upstreamIdleMs: UPSTREAM_IDLE_MS, sweepIntervalMs: 5_000 };

interface Waiter {
  slot: SlotName;
  remaining: Set<number>;
  startedAt: number;
  pendingAtStart: number;
  lastEndedAt?: number;
  done(drained: boolean): void;
}

interface Upstream {
  pool: UpstreamPool;
  /** For the general path only. */
  agent: http.Agent;
}

const nodeAgent = () => new http.Agent({ keepAlive: true, maxSockets: 256, maxFreeSockets: 16, timeout: UPSTREAM_IDLE_MS });

export class ReverseProxy implements ProxyRouter, NodePathRouter {
  /** The public listener (raw TCP: the fast path reads the bytes itself). */
  readonly server: net.Server;
  /** Node's HTTP server for connections handed over; it never listens. */
  private readonly nodePath: http.Server;
  private live: SlotName;
  private readonly upstreams: Record<SlotName, Upstream>;
  /** In-flight request ids per slot, with whether each is a write. */
  private readonly inFlight: Record<SlotName, Map<number, boolean>> = { blue: new Map(), green: new Map() };
  private readonly waiters = new Set<Waiter>();
  /** Open Upgrade tunnels, ended on close(). */
  readonly tunnels = new Set<() => void>();
  private readonly fastConnections = new Set<ClientConnection>();
  private readonly handedOff = new Set<net.Socket>();
  private readonly sweeper: NodeJS.Timeout;
  private nextId = 1;
  served = 0;

  private readonly idle: IdleTimeouts;

  constructor(live: SlotName, idle: Partial<IdleTimeouts> = {}) {
    this.live = live;
    this.idle = { ...IDLE_DEFAULTS, ...idle };
    this.upstreams = { blue: { pool: new UpstreamPool(), agent: nodeAgent() }, green: { pool: new UpstreamPool(), agent: nodeAgent() } };
    this.nodePath = createNodePath(this);
    // Half-open allowed: a client that shuts down its side after a request still gets the answer.
    this.server = net.createServer({ allowHalfOpen: true, noDelay: true }, (socket) => {
      this.fastConnections.add(new ClientConnection(socket, this));
    });
    this.sweeper = setInterval(() => this.sweep(), this.idle.sweepIntervalMs).unref();
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
    if (up.pool.port !== port) {
      // Sockets to the previous process of this slot are useless now.
      up.agent.destroy();
      up.agent = nodeAgent();
    }
    up.pool.setPort(port);
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

  route(): { slot: SlotName; pool: UpstreamPool } {
    const slot = this.live;
    return { slot, pool: this.upstreams[slot].pool };
  }

  routeNode(): { slot: SlotName; port: number | undefined; agent: http.Agent } {
    const slot = this.live;
    const up = this.upstreams[slot];
    return { slot, port: up.pool.port, agent: up.agent };
  }

  track(slot: SlotName, isWrite: boolean): number {
    const id = this.nextId++;
    this.inFlight[slot].set(id, isWrite);
    return id;
  }

  untrack(slot: SlotName, id: number): void {
    if (!this.inFlight[slot].delete(id)) return;
    this.served++;
    if (this.waiters.size === 0) return;
    for (const w of this.waiters) {
      if (w.slot === slot && w.remaining.delete(id)) {
        w.lastEndedAt = Date.now();
        if (w.remaining.size === 0) w.done(true);
      }
    }
  }

  handOff(socket: net.Socket, unread: Buffer | undefined): void {
    this.handedOff.add(socket);
    socket.once("close", () => this.handedOff.delete(socket));
    if (unread) socket.unshift(unread);
    this.nodePath.emit("connection", socket);
  }

  closed(conn: ClientConnection): void {
    this.fastConnections.delete(conn);
  }

  /** Close idle upstream sockets before the apps do, and client connections idle too long. */
  private sweep(): void {
    const now = Date.now();
    this.upstreams.blue.pool.sweep(now - this.idle.upstreamIdleMs);
    this.upstreams.green.pool.sweep(now - this.idle.upstreamIdleMs);
    for (const conn of this.fastConnections) if (!conn.busy && conn.lastActive < now - this.idle.clientIdleMs) conn.socket.destroy();
  }

  /** Stop accepting, let requests in progress finish (idle connections close now), then release everything. */
  async close(): Promise<void> {
    clearInterval(this.sweeper);
    for (const w of this.waiters) w.done(false);
    for (const end of [...this.tunnels]) end();
    const listening = new Promise<void>((resolve) => (this.server.listening ? this.server.close(() => resolve()) : resolve()));
    for (const conn of [...this.fastConnections]) conn.closeSoon();
    this.nodePath.closeIdleConnections();
    const deadline = Date.now() + 10_000;
    while ((this.fastConnections.size > 0 || this.handedOff.size > 0) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 10));
      this.nodePath.closeIdleConnections();
    }
    for (const conn of this.fastConnections) conn.socket.destroy();
    for (const socket of this.handedOff) socket.destroy();
    await listening;
    for (const slot of ["blue", "green"] as const) {
      this.upstreams[slot].pool.closeIdle();
      this.upstreams[slot].agent.destroy();
    }
  }
}
