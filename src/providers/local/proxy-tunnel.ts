/**
 * An Upgrade request (WebSocket) through the local proxy: its head goes to the
 * slot live when it arrived, with the same header rewriting as a plain request
 * (Connection/Upgrade kept), then the two connections are piped byte for byte.
 * The tunnel counts as a read in flight until either side closes, so a drain
 * (and `local.stop`) waits for long-lived connections up to its timeout, and a
 * swap never cuts one.
 */
import type http from "node:http";
import net from "node:net";
import type { Duplex } from "node:stream";
import { requestHeaders } from "./proxy-headers.js";
import type { InFlight } from "./proxy-in-flight.js";
import type { SlotName } from "../../core/slots.js";

function refusal(status: "502 Bad Gateway" | "503 Service Unavailable", slot: SlotName): string {
  const headers = `retry-after: 1\r\nx-cutover-slot: ${slot}\r\nconnection: close\r\ncontent-length: 0`;
  return `HTTP/1.1 ${status}\r\n${headers}\r\n\r\n`;
}

/** The request head for the app (header values come from Node's parser: no CR or LF in them). */
function upstreamHead(req: http.IncomingMessage): string {
  const headers = requestHeaders(req, true);
  let text = `${req.method} ${req.url} HTTP/1.1\r\n`;
  for (let i = 0; i < headers.length; i += 2) text += `${headers[i]}: ${headers[i + 1]}\r\n`;
  return `${text}\r\n`;
}

/**
 * Open a tunnel to `port` (undefined: the slot has no process, answered 503).
 * Returns the function that ends it, which the proxy calls when it closes.
 */
export function tunnel(
  slot: SlotName,
  port: number | undefined,
  inFlight: InFlight,
  req: http.IncomingMessage,
  socket: Duplex,
  head: Buffer,
): (() => void) | undefined {
  socket.on("error", () => socket.destroy());
  if (port === undefined) {
    socket.end(refusal("503 Service Unavailable", slot));
    return undefined;
  }
  const id = inFlight.track(slot, false);
  const upstream = net.connect({ port, host: "127.0.0.1", noDelay: true });
  let connected = false;
  let ended = false;
  const end = () => {
    if (ended) return;
    ended = true;
    inFlight.untrack(slot, id);
    socket.destroy();
    upstream.destroy();
  };
  upstream.on("connect", () => {
    connected = true;
    upstream.write(upstreamHead(req));
    if (head.length) upstream.write(head);
    socket.pipe(upstream);
    upstream.pipe(socket);
  });
  upstream.on("error", () => {
    if (connected || ended) return end();
    // Could not reach the app: answer, then let the client close.
    ended = true;
    inFlight.untrack(slot, id);
    socket.end(refusal("502 Bad Gateway", slot));
  });
  // Either side closing ends the tunnel (a WebSocket closes with its own handshake first).
  for (const side of [upstream, socket]) side.on("end", end).on("close", end);
  return end;
}
