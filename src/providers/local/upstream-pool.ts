/**
 * Keep-alive connections from the proxy to one slot's app. A connection
 * serves one exchange at a time; its socket listeners are attached once and
 * forward to whichever exchange holds it, so reusing a connection costs no
 * listener churn. Idle connections are closed by a sweep (no per-request
 * timers) before the app's own keep-alive timeout would close them.
 */
import net from "node:net";

/** Shorter than the apps' keep-alive timeout, so the proxy closes idle upstream sockets first. */
export const UPSTREAM_IDLE_MS = 30_000;
const MAX_IDLE = 64;

/** The exchange that currently holds a connection. */
export interface UpstreamUser {
  onUpstreamData(data: Buffer): void;
  /** The connection ended (`error` undefined: a clean close by the app) or failed. */
  onUpstreamGone(error: NodeJS.ErrnoException | undefined): void;
  onUpstreamDrain(): void;
}

export class UpstreamConnection {
  readonly socket: net.Socket;
  user: UpstreamUser | undefined;
  /** Requests sent on this connection before the current one: > 0 means it was reused. */
  requests = 0;
  idleSince = 0;
  gone = false;

  constructor(
    readonly port: number,
    private readonly pool: UpstreamPool,
  ) {
    this.socket = net.connect({ port, host: "127.0.0.1", noDelay: true });
    this.socket.on("data", (data: Buffer) => {
      // Bytes while idle break the one-response-per-request rule: the connection cannot be trusted.
      if (this.user) this.user.onUpstreamData(data);
      else this.destroy();
    });
    this.socket.on("drain", () => this.user?.onUpstreamDrain());
    this.socket.on("error", (err: NodeJS.ErrnoException) => this.lost(err));
    this.socket.on("end", () => this.lost(undefined));
    this.socket.on("close", () => this.lost(undefined));
  }

  private lost(error: NodeJS.ErrnoException | undefined): void {
    if (this.gone) return;
    this.gone = true;
    this.pool.forget(this);
    const user = this.user;
    this.user = undefined;
    this.socket.destroy();
    user?.onUpstreamGone(error);
  }

  /** Close without telling the current user (it is the one asking). */
  destroy(): void {
    this.user = undefined;
    this.lost(undefined);
  }
}

export class UpstreamPool {
  private idle: UpstreamConnection[] = [];
  private current: number | undefined;

  /** The app's port; undefined while the slot has no process. */
  get port(): number | undefined {
    return this.current;
  }

  setPort(port: number | undefined): void {
    if (port === this.current) return;
    // Connections to the previous process of this slot are useless now; busy ones are closed on release.
    this.closeIdle();
    this.current = port;
  }

  /** An idle connection (most recently used first, the likeliest to be alive), else a new one. */
  acquire(user: UpstreamUser, fresh = false): UpstreamConnection {
    let conn = fresh ? undefined : this.idle.pop();
    if (!conn) conn = new UpstreamConnection(this.current!, this);
    conn.user = user;
    return conn;
  }

  release(conn: UpstreamConnection): void {
    conn.requests++;
    if (conn.gone || conn.port !== this.current || this.idle.length >= MAX_IDLE) return conn.destroy();
    conn.user = undefined;
    // Paused while a slow client caught up; the next exchange must hear from it.
    if (conn.socket.isPaused()) conn.socket.resume();
    conn.idleSince = Date.now();
    this.idle.push(conn);
  }

  forget(conn: UpstreamConnection): void {
    const i = this.idle.indexOf(conn);
    if (i >= 0) this.idle.splice(i, 1);
  }

  /** Close connections idle since before `cutoff` (epoch ms). */
  sweep(cutoff: number): void {
    for (const conn of this.idle.filter((c) => c.idleSince < cutoff)) conn.destroy();
  }

  closeIdle(): void {
    for (const conn of [...this.idle]) conn.destroy();
  }
}
