/**
 * One HTTP request for the checking actions (`http.check`, `wait.until`):
 * global fetch, a per-request timeout combined with the step's signal, a
 * bounded body read, and network failures turned into an observation
 * ("connection refused") rather than an exception, since a service that is
 * not up yet is exactly what these actions wait out.
 */
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
    const res = await fetchFollowing(spec.url, spec.method, configured, body, contentType, signal);
    const { text, truncated } = await readBounded(res, BODY_READ_LIMIT);
    return { ok: true, status: res.status, text, truncated, json: truncated ? undefined : tryParseJson(text) };
  } catch (e) {
    if (spec.signal.aborted) throw abortError(spec.signal);
    if (timeout.aborted) return { ok: false, error: `no response within ${formatDuration(spec.timeoutMs)}` };
    return { ok: false, error: describeFetchError(e) };
  }
}

/**
 * fetch, following redirects ourselves: fetch drops only `Authorization`
 * (and cookies) when a redirect leaves the origin, and would forward a
 * configured `X-Api-Key` to whatever host the redirect names. Every
 * configured header is a possible credential, so none crosses origins.
 * 303 (and 301/302 after a POST) turn into a GET without body, as fetch does.
 */
async function fetchFollowing(
  url: string,
  method: string,
  configured: [string, string][],
  body: string | undefined,
  contentType: string | undefined,
  signal: AbortSignal,
): Promise<Response> {
  const origin = new URL(url).origin;
  let current = url;
  for (let hop = 0; ; hop++) {
    // Across origins only the body's content type is kept.
    const sameOrigin = new URL(current).origin === origin;
    const keep = sameOrigin
      ? configured
      : configured.filter(([k]) => body !== undefined && k.toLowerCase() === "content-type");
    const headers = new Headers(keep);
    if (body !== undefined && contentType && !headers.has("content-type")) headers.set("content-type", contentType);
    const res = await fetch(current, { method, headers, body, signal, redirect: "manual" });
    const location = res.headers.get("location");
    if (res.status < 300 || res.status > 399 || res.status === 304 || !location) return res;
    await res.body?.cancel().catch(() => undefined);
    if (hop >= MAX_REDIRECTS) throw new Error(`more than ${MAX_REDIRECTS} redirects`);
    const next = new URL(location, current);
    if (next.protocol !== "http:" && next.protocol !== "https:") {
      throw new Error(`redirect to unsupported scheme ${next.protocol}`);
    }
    current = next.href;
    if (res.status === 303 || ((res.status === 301 || res.status === 302) && method === "POST")) {
      if (method !== "HEAD") method = "GET";
      body = undefined;
    }
  }
}

async function readBounded(res: Response, limit: number): Promise<{ text: string; truncated: boolean }> {
  if (!res.body) return { text: "", truncated: false };
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let text = "";
  let bytes = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    bytes += value.byteLength;
    if (bytes > limit) {
      await reader.cancel().catch(() => undefined);
      return { text: text + decoder.decode(), truncated: true };
    }
    text += decoder.decode(value, { stream: true });
  }
  return { text: text + decoder.decode(), truncated: false };
}

/** undici reports "fetch failed" with the real reason in `cause`. */
function describeFetchError(e: unknown): string {
  const cause = (e as { cause?: { code?: string; message?: string } }).cause;
  const code = cause?.code;
  if (code === "ECONNREFUSED") return "connection refused";
  if (code === "ENOTFOUND" || code === "EAI_AGAIN") return `host not found (${code})`;
  if (code === "ECONNRESET" || code === "UND_ERR_SOCKET") return "connection reset";
  if (code) return `${cause?.message ?? "request failed"} (${code})`;
  return (e as Error).message ?? String(e);
}
