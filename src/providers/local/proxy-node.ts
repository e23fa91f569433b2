/**
 * The proxy's general path, on Node's own HTTP server and client: requests
 * the fast path (proxy-connection.ts) hands over because they are unusual
 * (HTTP/1.0, chunked or `Expect` request bodies, malformed heads, which Node
 * answers with 400/431) and Upgrade (WebSocket) tunnels. Same routing and
 * in-flight accounting as the fast path.
 */
import http from "node:http";
import net from "node:net";
import type { Duplex } from "node:stream";
import type { SlotName } from "./types.js";

/** Hop-by-hop headers (RFC 9110 §7.6.1) a proxy must not forward. */
const HOP_BY_HOP = ["connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "trailer", "upgrade"];
/** Bodies up to this size are kept so a request can be replayed once on a stale upstream socket. */
const REPLAY_LIMIT = 256 * 1024;

export interface NodePathRouter {
  /** The live slot now: its app's port (undefined: not running) and the agent for it. */
  routeNode(): { slot: SlotName; port: number | undefined; agent: http.Agent };
  track(slot: SlotName, isWrite: boolean): number;
  untrack(slot: SlotName, id: number): void;
  /** Open tunnels, ended when the proxy closes. */
  readonly tunnels: Set<() => void>;
}

/** The client's raw headers minus hop-by-hop and forwarding ones, plus X-Forwarded-* (a flat list). */
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

/** The upstream's raw headers minus hop-by-hop ones, plus which slot answered. */
function responseHeaders(raw: string[], slot: SlotName): string[] {
  const out: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    if (!HOP_BY_HOP.includes(name.toLowerCase())) out.push(name, raw[i + 1]!);
  }
  out.push("x-cutover-slot", slot);
  return out;
}

export function createNodePath(router: NodePathRouter): http.Server {
  const server = http.createServer((req, res) => forwardRequest(router, req, res));
  server.on("upgrade", (req: http.IncomingMessage, socket: Duplex, head: Buffer) => tunnel(router, req, socket, head));
  // Clients may hold keep-alive connections across many swaps.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  return server;
}

function forwardRequest(router: NodePathRouter, req: http.IncomingMessage, res: http.ServerResponse): void {
  const { slot, port, agent } = router.routeNode();
  if (port === undefined) {
    res.writeHead(503, { "content-type": "text/plain", "retry-after": "1", "x-cutover-slot": slot });
    res.end(`cutover: the live slot (${slot}) is not running\n`);
    return;
  }
  const isWrite = req.method !== "GET" && req.method !== "HEAD" && req.method !== "OPTIONS";
  const id = router.track(slot, isWrite);
  let upReq: http.ClientRequest | undefined;
  // `close` fires once the response is done or the client went away: either ends the request.
  res.on("close", () => {
    router.untrack(slot, id);
    if (!res.writableFinished) upReq?.destroy();
  });

  // Keep a copy of a (small) body so the request can be replayed.
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
    const up = http.request({ host: "127.0.0.1", port, method: req.method, path: req.url, headers, agent }, (upRes) => {
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
function tunnel(router: NodePathRouter, req: http.IncomingMessage, socket: Duplex, head: Buffer): void {
  const { slot, port } = router.routeNode();
  socket.on("error", () => socket.destroy());
  if (port === undefined) {
    socket.end("HTTP/1.1 503 Service Unavailable\r\nretry-after: 1\r\nconnection: close\r\ncontent-length: 0\r\n\r\n");
    return;
  }
  const id = router.track(slot, false);
  const upstream = net.connect(port, "127.0.0.1");
  let ended = false;
  const end = () => {
    if (ended) return;
    ended = true;
    router.untrack(slot, id);
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
    router.untrack(slot, id);
    socket.end("HTTP/1.1 502 Bad Gateway\r\nconnection: close\r\ncontent-length: 0\r\n\r\n");
  });
  // Either side closing ends the tunnel (WebSocket closes with its own handshake first).
  upstream.on("end", end);
  socket.on("end", end);
  upstream.on("close", end);
  socket.on("close", end);
  router.tunnels.add(end);
  socket.once("close", () => router.tunnels.delete(end));
}
