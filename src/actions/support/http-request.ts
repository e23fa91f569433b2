/**
 * One HTTP request for the checking actions (`http.check`, `wait.until`):
 * node:http (node:https for https URLs), a per-request timeout combined with
 * the step's signal, a bounded body read, and network failures turned into an
 * observation ("connection refused") rather than an exception, since a service
 * that is not up yet is exactly what these actions wait out.
 *
 * Not global fetch: Node 20 loads and compiles its undici on the first call,
 * 35 ms on an idle machine and 60-100 ms on a busy one, and a release's first
 * check (the new version answers, the swap took) is usually on its critical
 * path. What fetch did that matters here is done the same way below: redirects
 * (followed by hand anyway), the default content types of a body, and
 * gzip/deflate/br bodies decoded (we do not ask for them; a server may send
 * them regardless).
 */
import http from "node:http";
import type { Readable } from "node:stream";
import type { Json } from "../../core/json.js";
import { formatDuration } from "../../core/duration.js";
import { timeoutSignal } from "../../core/timers.js";
import { ActionFailure } from "../../core/action.js";
import { abortError } from "./abort.js";
import { tryParseJson } from "./json.js";

/** Most of a response body read for checks; the rest is discarded. */
const BODY_READ_LIMIT = 1024 * 1024;

export interface HttpRequestSpec {
  url: string;
  method: string;
  /** Numbers and booleans (from whole-string expressions) are sent as their text. */
  headers?: Record<string, string | number | boolean>;
  body?: Json;
  timeoutMs: number;
  signal: AbortSignal;
}

export type HttpOutcome =
  { ok: true; status: number; text: string; truncated: boolean; json: Json | undefined } | { ok: false; error: string };

/** Check the URL up front: a typo is not something to retry for 5 minutes. */
export function checkUrl(url: string, redact: (t: string) => string): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ActionFailure(`not a valid URL: ${redact(url)}`, {
      retryable: false,
      hint: "Write an absolute URL such as http://127.0.0.1:8080/health.",
    });
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
    throw new ActionFailure(`unsupported URL scheme ${parsed.protocol} in ${redact(url)}`, {
      retryable: false,
      hint: "Use http:// or https://.",
    });
  }
  return parsed;
}

/** Redirects followed before giving up (the number fetch itself follows). */
const MAX_REDIRECTS = 20;

export async function httpRequest(spec: HttpRequestSpec): Promise<HttpOutcome> {
  const configured = Object.entries(spec.headers ?? {}).map(([k, v]): [string, string] => [k, String(v)]);
  let body: string | undefined;
  let contentType: string | undefined;
  if (spec.body !== undefined) {
    body = typeof spec.body === "string" ? spec.body : JSON.stringify(spec.body);
    const typed = configured.some(([k]) => k.toLowerCase() === "content-type");
    if (typeof spec.body !== "string" && !typed) contentType = "application/json";
  }
  const timeout = timeoutSignal(spec.timeoutMs, "requestTimeout");
  const signal = AbortSignal.any([spec.signal, timeout]);
  try {
    const res = await requestFollowing(spec.url, spec.method, configured, body, contentType, signal);
    const { text, truncated } = await readBounded(res, BODY_READ_LIMIT);
    return { ok: true, status: res.statusCode ?? 0, text, truncated, json: truncated ? undefined : tryParseJson(text) };
  } catch (e) {
    if (spec.signal.aborted) throw abortError(spec.signal);
    if (timeout.aborted) return { ok: false, error: `no response within ${formatDuration(spec.timeoutMs)}` };
    return { ok: false, error: describeFetchError(e) };
  }
}

/**
 * The request, following redirects ourselves: fetch drops only `Authorization`
 * (and cookies) when a redirect leaves the origin, and would forward a
 * configured `X-Api-Key` to whatever host the redirect names. Every
 * configured header is a possible credential, so none crosses origins.
 * 303 (and 301/302 after a POST) turn into a GET without body, as fetch does.
 */
async function requestFollowing(
  url: string,
  method: string,
  configured: [string, string][],
  body: string | undefined,
  contentType: string | undefined,
  signal: AbortSignal,
): Promise<http.IncomingMessage> {
  const origin = new URL(url).origin;
  let current = new URL(url);
  for (let hop = 0; ; hop++) {
    // Across origins only the body's content type is kept.
    const keep =
      current.origin === origin
        ? configured
        : configured.filter(([k]) => body !== undefined && k.toLowerCase() === "content-type");
    const headers = headerObject(keep);
    if (body !== undefined) {
      // fetch's defaults: JSON as application/json (set by the caller), any other string as text.
      headers["content-type"] ??= contentType ?? "text/plain;charset=UTF-8";
      headers["content-length"] = String(Buffer.byteLength(body));
    }
    headers["accept"] ??= "*/*";
    const res = await send(current, method, headers, body, signal);
    const location = res.headers.location;
    if (!res.statusCode || res.statusCode < 300 || res.statusCode > 399 || res.statusCode === 304 || !location)
      return res;
    res.resume(); // the redirect's own body is not read
    if (hop >= MAX_REDIRECTS) throw new Error(`more than ${MAX_REDIRECTS} redirects`);
    const next = new URL(location, current);
    if (next.protocol !== "http:" && next.protocol !== "https:") {
      throw new Error(`redirect to unsupported scheme ${next.protocol}`);
    }
    current = next;
    if (res.statusCode === 303 || ((res.statusCode === 301 || res.statusCode === 302) && method === "POST")) {
      if (method !== "HEAD") method = "GET";
      body = undefined;
    }
  }
}

/** Header names are case-insensitive: one lower-case key each, repeated values joined as fetch's Headers does. */
function headerObject(pairs: [string, string][]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of pairs) {
    const key = k.toLowerCase();
    out[key] = out[key] === undefined ? v : `${out[key]}, ${v}`;
  }
  return out;
}

/** node:https (and with it TLS) is loaded for the first https URL only. */
let https: Promise<typeof import("node:https")> | undefined;

async function send(
  url: URL,
  method: string,
  headers: Record<string, string>,
  body: string | undefined,
  signal: AbortSignal,
): Promise<http.IncomingMessage> {
  const client = url.protocol === "https:" ? await (https ??= import("node:https")) : http;
  return new Promise((resolve, reject) => {
    // A connection per request (no agent): a check sees what a new client sees, and no idle socket outlives it.
    const req = client.request(url, { method, headers, signal, agent: false }, resolve);
    req.on("error", reject);
    req.end(body);
  });
}

/** At most `limit` bytes of the body, decoded (gzip, deflate, br) when the server compressed it anyway. */
async function readBounded(res: http.IncomingMessage, limit: number): Promise<{ text: string; truncated: boolean }> {
  const stream = await decoded(res);
  const decoder = new TextDecoder();
  let text = "";
  let bytes = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    bytes += chunk.byteLength;
    if (bytes > limit) {
      res.destroy();
      if (stream !== res) stream.destroy();
      return { text: text + decoder.decode(), truncated: true };
    }
    text += decoder.decode(chunk, { stream: true });
  }
  return { text: text + decoder.decode(), truncated: false };
}

async function decoded(res: http.IncomingMessage): Promise<Readable> {
  const encoding = String(res.headers["content-encoding"] ?? "")
    .trim()
    .toLowerCase();
  if (encoding !== "gzip" && encoding !== "x-gzip" && encoding !== "deflate" && encoding !== "br") return res;
  const zlib = await import("node:zlib");
  const decoder =
    encoding === "br"
      ? zlib.createBrotliDecompress()
      : encoding === "deflate"
        ? zlib.createInflate()
        : zlib.createGunzip();
  res.on("error", (e) => decoder.destroy(e));
  return res.pipe(decoder);
}

/** node:http's errors carry the reason in `code` (fetch's put it in `cause`). */
function describeFetchError(e: unknown): string {
  const err = e as { code?: string; message?: string; cause?: { code?: string; message?: string } };
  const code = err.code ?? err.cause?.code;
  if (code === "ECONNREFUSED") return "connection refused";
  if (code === "ENOTFOUND" || code === "EAI_AGAIN") return `host not found (${code})`;
  if (code === "ECONNRESET" || code === "UND_ERR_SOCKET") return "connection reset";
  if (code) return `${err.message ?? err.cause?.message ?? "request failed"} (${code})`;
  return err.message ?? String(e);
}
