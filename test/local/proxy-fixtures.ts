/**
 * Shared by the proxy-http-*.test.ts files: a ReverseProxy on a loopback
 * port, upstream apps (node:http, or raw net servers that write exact bytes),
 * raw clients, and a small HTTP/1.1 response reader of its own (so the proxy
 * is not checked with the HTTP stack it is built on).
 */
import { createHash } from "node:crypto";
import http from "node:http";
import net, { type AddressInfo } from "node:net";
import { ReverseProxy, type IdleTimeouts } from "../../src/providers/local/proxy.js";

export const sha256 = (data: Buffer | string) => createHash("sha256").update(data).digest("hex");
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Deterministic, non-repeating-looking bytes (so a dropped or duplicated range is caught). */
export function pattern(size: number, seed = 1): Buffer {
  const out = Buffer.alloc(size);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

export async function waitFor(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

export class ProxyFixture {
  proxy!: ReverseProxy;
  port = 0;
  private readonly servers: net.Server[] = [];
  private readonly sockets = new Set<net.Socket>();

  async start(idle?: Partial<IdleTimeouts>): Promise<this> {
    this.proxy = new ReverseProxy("blue", idle);
    await new Promise<void>((r) => this.proxy.server.listen(0, "127.0.0.1", r));
    this.port = (this.proxy.server.address() as AddressInfo).port;
    return this;
  }

  private async listen(server: net.Server): Promise<number> {
    this.servers.push(server);
    server.on("connection", (s: net.Socket) => this.track(s));
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    return (server.address() as AddressInfo).port;
  }

  /** A node:http app. */
  app(handler: http.RequestListener): Promise<number> {
    return this.listen(http.createServer(handler));
  }

  /** An app on a raw socket that writes exactly what the test says. */
  raw(onSocket: (socket: net.Socket) => void): Promise<number> {
    return this.listen(
      net.createServer((s) => {
        s.on("error", () => undefined);
        onSocket(s);
      }),
    );
  }

  /**
   * A raw-socket app that reads requests one at a time (content-length
   * bodies only) and lets `answer` write exact bytes, awaiting it before
   * reading the next request on that connection.
   */
  rawHttp(answer: (req: { head: string; body: Buffer }, socket: net.Socket) => void | Promise<void>): Promise<number> {
    return this.raw((socket) => {
      let buf = Buffer.alloc(0);
      let busy = false;
      const pump = async () => {
        if (busy) return;
        busy = true;
        for (;;) {
          const end = buf.indexOf("\r\n\r\n");
          if (end < 0) break;
          const head = buf.toString("latin1", 0, end);
          const length = Number(/\r\ncontent-length:\s*(\d+)/i.exec(head)?.[1] ?? 0);
          if (buf.length < end + 4 + length) break;
          const body = buf.subarray(end + 4, end + 4 + length);
          buf = buf.subarray(end + 4 + length);
          await answer({ head, body }, socket);
        }
        busy = false;
      };
      socket.on("data", (d: Buffer) => {
        buf = Buffer.concat([buf, d]);
        void pump();
      });
    });
  }

  /** Make `slot` live with its app on `port`. */
  use(port: number | undefined, slot: "blue" | "green" = "blue"): void {
    this.proxy.setUpstream(slot, port);
    this.proxy.setLive(slot);
  }

  track(socket: net.Socket): net.Socket {
    this.sockets.add(socket);
    socket.once("close", () => this.sockets.delete(socket));
    return socket;
  }

  /** A raw client connection to the proxy, with a reader of its responses. */
  async client(): Promise<RawClient> {
    const socket = this.track(net.connect(this.port, "127.0.0.1"));
    await new Promise<void>((resolve, reject) => socket.once("connect", resolve).once("error", reject));
    return new RawClient(socket);
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await this.proxy.close();
    for (const s of this.servers) await new Promise((r) => s.close(r));
  }
}

export interface RawResponse {
  status: number;
  /** The head as received, without its blank line. */
  head: string;
  /** Lower-case names; repeated headers joined with ", ". */
  headers: Record<string, string>;
  /** The body as framed on the wire (chunk sizes and trailers included). */
  raw: Buffer;
  /** The body with chunked framing removed. */
  body: Buffer;
}

/** Reads HTTP/1.1 responses off a client socket, one at a time, in order. */
export class RawClient {
  private chunks: Buffer[] = [];
  private size = 0;
  /** Bytes needed before parsing can make progress (avoids re-joining a large body per read). */
  private need = 1;
  private wake: (() => void) | undefined;
  ended = false;
  /** Resolves when the proxy closes (or ends) the connection. */
  readonly closed: Promise<void>;

  constructor(readonly socket: net.Socket) {
    socket.on("error", () => undefined);
    socket.on("data", (d: Buffer) => {
      this.chunks.push(d);
      this.size += d.length;
      if (this.size >= this.need) this.poke();
    });
    this.closed = new Promise((resolve) => {
      const done = () => {
        this.ended = true;
        this.poke();
        resolve();
      };
      socket.once("end", done);
      socket.once("close", done);
    });
  }

  private poke(): void {
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }

  write(data: string | Buffer): void {
    this.socket.write(data);
  }

  /** The next response (an interim 1xx counts as one); `method` of the request it answers. */
  async next(method = "GET"): Promise<RawResponse> {
    for (;;) {
      const buf = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks);
      this.chunks = [buf];
      const r = parseResponse(buf, method, this.ended);
      if ("used" in r) {
        this.chunks = [buf.subarray(r.used)];
        this.size = buf.length - r.used;
        this.need = 1;
        return r.response;
      }
      if (this.ended)
        throw new Error(
          `connection closed; ${buf.length} bytes unparsed: ${JSON.stringify(buf.toString("latin1", 0, 200))}`,
        );
      this.need = r.need;
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }

  /** Bytes received and not yet returned as part of a response. */
  get unread(): number {
    return this.size;
  }
}

function parseResponse(
  buf: Buffer,
  method: string,
  ended: boolean,
): { used: number; response: RawResponse } | { need: number } {
  const end = buf.indexOf("\r\n\r\n");
  if (end < 0) return { need: buf.length + 1 };
  const head = buf.toString("latin1", 0, end);
  const lines = head.split("\r\n");
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(lines[0]!)?.[1] ?? NaN);
  const headers: Record<string, string> = {};
  for (const line of lines.slice(1)) {
    const i = line.indexOf(":");
    const name = line.slice(0, i).toLowerCase();
    const value = line.slice(i + 1).trim();
    headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
  }
  const start = end + 4;
  const done = (stop: number, body: Buffer) => ({
    used: stop,
    response: { status, head, headers, raw: buf.subarray(start, stop), body },
  });
  if ((status >= 100 && status < 200) || status === 204 || status === 304 || method === "HEAD")
    return done(start, Buffer.alloc(0));
  if (/(^|,)\s*chunked\s*$/i.test(headers["transfer-encoding"] ?? "")) {
    const parts: Buffer[] = [];
    let pos = start;
    for (;;) {
      const lineEnd = buf.indexOf("\r\n", pos);
      if (lineEnd < 0) return { need: buf.length + 1 };
      const size = parseInt(buf.toString("latin1", pos, lineEnd).split(";")[0]!, 16);
      if (size === 0) {
        const trailersEnd = buf.indexOf("\r\n\r\n", lineEnd);
        if (buf.length >= lineEnd + 4 && buf[lineEnd + 2] === 0x0d && buf[lineEnd + 3] === 0x0a)
          return done(lineEnd + 4, Buffer.concat(parts));
        if (trailersEnd < 0) return { need: buf.length + 1 };
        return done(trailersEnd + 4, Buffer.concat(parts));
      }
      if (buf.length < lineEnd + 2 + size + 2) return { need: lineEnd + 2 + size + 2 };
      parts.push(buf.subarray(lineEnd + 2, lineEnd + 2 + size));
      pos = lineEnd + 2 + size + 2;
    }
  }
  if (headers["content-length"] !== undefined) {
    const stop = start + Number(headers["content-length"]);
    return buf.length >= stop ? done(stop, buf.subarray(start, stop)) : { need: stop };
  }
  return ended ? done(buf.length, buf.subarray(start)) : { need: Infinity };
}

/** One request with node:http on a connection of its own; the whole response body. */
export function request(
  port: number,
  opts: { method?: string; path?: string; headers?: http.OutgoingHttpHeaders; body?: Buffer | string } = {},
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: "127.0.0.1",
        port,
        method: opts.method ?? "GET",
        path: opts.path ?? "/",
        headers: opts.headers,
        agent: false,
      },
      (res) => {
        const parts: Buffer[] = [];
        res.on("data", (c: Buffer) => parts.push(c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(parts) }));
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end(opts.body);
  });
}

/** An app that reads the whole request body and answers with what it got (JSON). */
export function digestApp(name = "blue"): http.RequestListener {
  return (req, res) => {
    const hash = createHash("sha256");
    let bytes = 0;
    req.on("data", (c: Buffer) => {
      bytes += c.length;
      hash.update(c);
    });
    req.on("end", () => {
      const body = JSON.stringify({
        name,
        method: req.method,
        url: req.url,
        httpVersion: req.httpVersion,
        headers: req.headers,
        bytes,
        sha256: hash.digest("hex"),
      });
      res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
      res.end(body);
    });
  };
}

export interface Digest {
  name: string;
  method: string;
  url: string;
  httpVersion: string;
  headers: Record<string, string>;
  bytes: number;
  sha256: string;
}
