/**
 * The header rewriting of the local proxy, both ways: hop-by-hop headers
 * (RFC 9110 §7.6.1, and any header the Connection header names) stay on their
 * own connection; the client's X-Forwarded-Host/Proto are replaced and its
 * X-Forwarded-For is extended with its address, on plain and Upgrade requests
 * alike; every answer says which slot served it (`x-cutover-slot`).
 */
import type http from "node:http";
import type { SlotName } from "../../core/slots.js";

/** Headers that describe one connection, never forwarded (`expect` is answered by the proxy's own server). */
const HOP_BY_HOP = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
  "expect",
]);
/** Kept on an Upgrade request: they are what the tunnel asks the app for. */
const UPGRADE_KEEPS = new Set(["connection", "upgrade"]);

/** Lower-case header names listed in a Connection header (they are hop-by-hop too). */
function connectionTokens(value: string | string[] | undefined): Set<string> {
  const tokens = new Set<string>();
  for (const v of Array.isArray(value) ? value : value ? [value] : []) {
    for (const t of v.split(",")) if (t.trim()) tokens.add(t.trim().toLowerCase());
  }
  return tokens;
}

/**
 * The client's request headers as a flat [name, value, …] list for the app:
 * without hop-by-hop headers (except Connection/Upgrade when `upgrade`), with
 * X-Forwarded-For/Host/Proto set by the proxy. Only the first Host is kept.
 */
export function requestHeaders(req: http.IncomingMessage, upgrade: boolean): string[] {
  const raw = req.rawHeaders;
  const named = connectionTokens(req.headers.connection);
  const out: string[] = [];
  let forwardedFor = "";
  let host: string | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    const value = raw[i + 1]!;
    const lower = name.toLowerCase();
    if (lower === "x-forwarded-for") forwardedFor = forwardedFor ? `${forwardedFor}, ${value}` : value;
    else if (lower === "x-forwarded-host" || lower === "x-forwarded-proto") continue;
    else if (upgrade && UPGRADE_KEEPS.has(lower)) out.push(name, value);
    else if (HOP_BY_HOP.has(lower) || named.has(lower)) continue;
    else if (lower === "host") {
      if (host !== undefined) continue;
      host = value;
      out.push(name, value);
    } else out.push(name, value);
  }
  const remote = req.socket.remoteAddress ?? "";
  out.push("x-forwarded-for", forwardedFor ? `${forwardedFor}, ${remote}` : remote);
  out.push("x-forwarded-host", host ?? "", "x-forwarded-proto", "http");
  return out;
}

/** The app's response headers (as undici parsed them) for the client, minus hop-by-hop ones, plus the slot. */
export function responseHeaders(headers: Record<string, string | string[] | undefined>, slot: SlotName): string[] {
  const named = connectionTokens(headers.connection);
  const out: string[] = [];
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || HOP_BY_HOP.has(name) || named.has(name)) continue;
    if (Array.isArray(value)) for (const v of value) out.push(name, v);
    else out.push(name, value);
  }
  out.push("x-cutover-slot", slot);
  return out;
}

/** Trailers the app sent after a chunked body, for `res.addTrailers`. */
export function trailerList(trailers: Record<string, string | string[] | undefined>): [string, string][] {
  const out: [string, string][] = [];
  for (const [name, value] of Object.entries(trailers)) {
    if (value === undefined) continue;
    for (const v of Array.isArray(value) ? value : [value]) out.push([name, v]);
  }
  return out;
}
