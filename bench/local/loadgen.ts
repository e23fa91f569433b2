/**
 * A small closed-loop HTTP load generator for the local environment's tests
 * and benchmarks (loopback only, bounded in requests and time). Some workers
 * reuse keep-alive connections, others open a new connection per request,
 * so a swap is exercised both ways. Every request is recorded.
 */
import http from "node:http";

export interface LoadOptions {
  /** Base URL, e.g. http://127.0.0.1:8080 (loopback only). */
  url: string;
  /** Workers on shared keep-alive connections. */
  keepAliveWorkers: number;
  /** Workers opening a new connection for each request. */
  freshWorkers: number;
  /** Fraction of requests that are writes (POST writePath). */
  writeRatio: number;
  readPath?: string;
  writePath?: string;
  /** Hard limits: the generator stops at whichever comes first. */
  maxRequests: number;
  maxDurationMs: number;
  /** Pause between two requests of one worker (0 = back to back). */
  pauseMs?: number;
  /**
   * Send a request again, once, when a reused keep-alive connection was closed
   * by the server before any answer (the request never reached the app), as
   * browsers, Go's net/http and curl do (RFC 9112 §9.3.1). Off by default:
   * the local proxy needs no such help; nginx's graceful reload does.
   */
  retryIdleReset?: boolean;
}

export interface Sample {
  kind: "read" | "write";
  conn: "keep-alive" | "fresh";
  /** performance.timeOrigin-based epoch ms, sub-millisecond. */
  start: number;
  end: number;
  /** 0 when no HTTP answer came (connection error). */
  status: number;
  error?: string;
  /** The proxy's x-cutover-slot header, if any. */
  slot?: string;
  /** The app version that answered (from the JSON body), if any. */
  version?: string;
  /** Sent twice: the first try hit a keep-alive connection the server had just closed. */
  retried?: boolean;
}

export interface LoadReport {
  samples: Sample[];
  total: number;
  durationMs: number;
  requestsPerSecond: number;
  /** Connection errors and 5xx other than a write's maintenance 503. */
  failed: Sample[];
  connectionErrors: Sample[];
  /** Requests sent again after an idle keep-alive reset (only with retryIdleReset). */
  retriedIdleResets: number;
}

const now = () => performance.timeOrigin + performance.now();

export class LoadGenerator {
  readonly samples: Sample[] = [];
  private stopped = false;
  private started = 0;
  private issued = 0;
  private running: Promise<void>[] = [];
  private readonly agent: http.Agent;

  constructor(private readonly opts: LoadOptions) {
    const host = new URL(opts.url).hostname;
    if (host !== "127.0.0.1" && host !== "localhost" && host !== "::1")
      throw new Error(`load generator is loopback only, not ${host}`);
    // Idle sockets are closed by us well before the server's keep-alive timeout (no close race).
    this.agent = new http.Agent({ keepAlive: true, maxSockets: opts.keepAliveWorkers, timeout: 4000 });
  }

  start(): this {
    this.started = now();
    for (let i = 0; i < this.opts.keepAliveWorkers; i++) this.running.push(this.worker("keep-alive", i));
    for (let i = 0; i < this.opts.freshWorkers; i++) this.running.push(this.worker("fresh", i));
    return this;
  }

  /** Stop issuing, wait for requests in flight, summarise. */
  async stop(): Promise<LoadReport> {
    this.stopped = true;
    await Promise.all(this.running);
    this.agent.destroy();
    return summarise(this.samples, now() - this.started);
  }

  /** Resolves when the generator hit one of its limits by itself. */
  async finished(): Promise<LoadReport> {
    await Promise.all(this.running);
    return this.stop();
  }

  private async worker(conn: Sample["conn"], index: number): Promise<void> {
    let n = 0;
    while (!this.stopped && this.issued < this.opts.maxRequests && now() - this.started < this.opts.maxDurationMs) {
      this.issued++;
      n++;
      // Deterministic mix: every worker spreads its writes evenly.
      const write =
        this.opts.writeRatio > 0 &&
        Math.floor((n + index) * this.opts.writeRatio) !== Math.floor((n + index - 1) * this.opts.writeRatio);
      this.samples.push(await this.request(write ? "write" : "read", conn));
      if (this.opts.pauseMs) await new Promise((r) => setTimeout(r, this.opts.pauseMs));
    }
  }

  private async request(kind: Sample["kind"], conn: Sample["conn"]): Promise<Sample> {
    const start = now();
    const first = await this.once(kind, conn, start);
    if (first.sample.status === 0 && first.idleReset && this.opts.retryIdleReset) {
      // On a new connection: another idle one from the pool may be just as stale.
      const again = await this.once(kind, "fresh", start);
      return { ...again.sample, conn, retried: true };
    }
    return first.sample;
  }

  private once(
    kind: Sample["kind"],
    conn: Sample["conn"],
    start: number,
  ): Promise<{ sample: Sample; idleReset: boolean }> {
    const path = kind === "write" ? (this.opts.writePath ?? "/orders") : (this.opts.readPath ?? "/orders?limit=5");
    const body = kind === "write" ? JSON.stringify({ attendee: "load", seatType: "general", quantity: 1 }) : undefined;
    return new Promise((resolve) => {
      let answered = false;
      const req = http.request(
        `${this.opts.url}${path}`,
        {
          method: kind === "write" ? "POST" : "GET",
          agent: conn === "keep-alive" ? this.agent : false,
          headers: body ? { "content-type": "application/json", "content-length": Buffer.byteLength(body) } : {},
          timeout: 10_000,
        },
        (res) => {
          answered = true;
          let text = "";
          res.setEncoding("utf8");
          res.on("data", (c: string) => {
            if (text.length < 2048) text += c;
          });
          res.on("end", () => {
            const slot = res.headers["x-cutover-slot"];
            const m = /"version":"([^"]+)"/.exec(text);
            const sample: Sample = {
              kind,
              conn,
              start,
              end: now(),
              status: res.statusCode ?? 0,
              slot: typeof slot === "string" ? slot : undefined,
              version: m?.[1],
            };
            resolve({ sample, idleReset: false });
          });
          res.on("error", (e) =>
            resolve({ sample: { kind, conn, start, end: now(), status: 0, error: e.message }, idleReset: false }),
          );
        },
      );
      req.on("timeout", () => req.destroy(new Error("timeout")));
      req.on("error", (e: NodeJS.ErrnoException) => {
        const idleReset = !answered && req.reusedSocket && (e.code === "ECONNRESET" || e.code === "EPIPE");
        resolve({ sample: { kind, conn, start, end: now(), status: 0, error: e.code ?? e.message }, idleReset });
      });
      req.end(body);
    });
  }
}

function summarise(samples: Sample[], durationMs: number): LoadReport {
  const connectionErrors = samples.filter((s) => s.status === 0);
  const failed = samples.filter(
    (s) =>
      s.status === 0 ||
      (s.status >= 500 && !(s.kind === "write" && s.status === 503)) ||
      (s.kind === "read" && s.status !== 200),
  );
  const retriedIdleResets = samples.filter((s) => s.retried).length;
  return {
    samples,
    total: samples.length,
    durationMs,
    requestsPerSecond: (samples.length * 1000) / durationMs,
    failed,
    connectionErrors,
    retriedIdleResets,
  };
}

/** The p-th percentile (0..100) of request latencies in ms. */
export function percentile(samples: Sample[], p: number): number {
  if (samples.length === 0) return NaN;
  const sorted = samples.map((s) => s.end - s.start).sort((a, b) => a - b);
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}
