/**
 * Just enough HTTP/1.1 for the proxy's fast path: find and rewrite a
 * message head, and find where a message body ends (RFC 9112 §6). Heads are
 * handled as latin1 text so every byte goes through unchanged. Anything this
 * module is not sure about is reported as "not simple", and the proxy hands
 * that connection to Node's own HTTP parser instead of guessing.
 */

const CRLF2 = Buffer.from("\r\n\r\n", "latin1");
/** Node's default limit; a longer head goes to Node's parser, which answers 431. */
export const MAX_REQUEST_HEAD = 16 * 1024;
export const MAX_RESPONSE_HEAD = 64 * 1024;

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const DIGITS = /^\d{1,15}$/;
const STATUS = /^\d{3}$/;
/**
 * A CR or LF that is not part of a CRLF, or a NUL: some servers take a bare
 * LF as a line break, so forwarding it could smuggle a header past the
 * fast path's view of the request (RFC 9110 §5.5). Node's parser rejects it.
 */
const BARE_CR_LF_NUL = /\r(?!\n)|(?<!\r)\n|\0/;
/** Dropped from both directions (RFC 9110 §7.6.1); framing headers are re-sent by the proxy itself. */
const HOP_BY_HOP = new Set(["connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "trailer", "upgrade"]);

/** Index just past the blank line ending the head, or -1 while incomplete. */
export function headEnd(buf: Buffer): number {
  const i = buf.indexOf(CRLF2);
  return i < 0 ? -1 : i + 4;
}

export interface RequestHead {
  method: string;
  target: string;
  /** Request body length (0 when absent). */
  contentLength: number;
  /** The client asked to close after this exchange. */
  close: boolean;
  isWrite: boolean;
  /** The head to send upstream: hop-by-hop and forwarding headers replaced. */
  forwardHead: string;
}

interface HeaderLine {
  name: string;
  lower: string;
  value: string;
}

/** The header lines of a head (from `from`, after the start line); undefined when one is malformed. */
function headerLines(text: string, from: number): HeaderLine[] | undefined {
  const lines: HeaderLine[] = [];
  const stop = text.length - 2;
  let pos = from;
  while (pos < stop) {
    const next = text.indexOf("\r\n", pos);
    const colon = text.indexOf(":", pos);
    if (colon < 0 || colon > next) return undefined;
    const name = text.slice(pos, colon);
    if (!TOKEN.test(name)) return undefined;
    lines.push({ name, lower: name.toLowerCase(), value: text.slice(colon + 1, next).trim() });
    pos = next + 2;
  }
  return lines;
}

/** Framing and identity headers a Connection header cannot make disappear. */
const NOT_NOMINABLE = new Set(["content-length", "host", "transfer-encoding"]);

/**
 * The options of the Connection headers, lower case: `close`, `keep-alive`,
 * `upgrade`, and names of headers meant for this hop only, which a proxy
 * removes (RFC 9110 §7.6.1).
 */
function connectionOptions(lines: HeaderLine[]): ReadonlySet<string> {
  let options: Set<string> | undefined;
  for (const h of lines) {
    if (h.lower !== "connection") continue;
    options ??= new Set();
    for (const t of h.value.toLowerCase().split(",")) if (t.trim() && !NOT_NOMINABLE.has(t.trim())) options.add(t.trim());
  }
  // Most messages have no Connection header: no set to build (this runs for every request and response).
  return options ?? NO_OPTIONS;
}
const NO_OPTIONS: ReadonlySet<string> = new Set();

/** The Content-Length (-1 when absent); NaN when malformed or repeated with different values. */
function contentLengthOf(lines: HeaderLine[]): number {
  let length = -1;
  for (const h of lines) {
    if (h.lower !== "content-length") continue;
    if (!DIGITS.test(h.value) || (length >= 0 && length !== Number(h.value))) return NaN;
    length = Number(h.value);
  }
  return length;
}

/** Whether a header goes on to the next hop. */
function forwarded(h: HeaderLine, options: ReadonlySet<string>): boolean {
  return !HOP_BY_HOP.has(h.lower) && !options.has(h.lower);
}

/**
 * Parse a client's request head (`text` = the head, latin1, with its blank
 * line) into what the fast path needs, or undefined when the request is not
 * a plain HTTP/1.1 request with a fixed-length body: HTTP/1.0, Upgrade,
 * Expect, CONNECT, chunked bodies, odd syntax. Those go to Node's parser.
 */
export function parseRequestHead(text: string, remoteAddress: string): RequestHead | undefined {
  if (BARE_CR_LF_NUL.test(text)) return undefined;
  const lineEnd = text.indexOf("\r\n");
  const line = text.slice(0, lineEnd);
  const sp1 = line.indexOf(" ");
  const sp2 = line.lastIndexOf(" ");
  if (sp1 <= 0 || sp2 === sp1 || line.slice(sp2 + 1) !== "HTTP/1.1") return undefined;
  const method = line.slice(0, sp1);
  const target = line.slice(sp1 + 1, sp2);
  if (!TOKEN.test(method) || method === "CONNECT" || target.length === 0 || target.includes(" ")) return undefined;
  const lines = headerLines(text, lineEnd + 2);
  if (!lines) return undefined;
  const options = connectionOptions(lines);
  const contentLength = contentLengthOf(lines);
  if (options.has("upgrade") || Number.isNaN(contentLength)) return undefined;

  let out = `${line}\r\n`;
  let host = "";
  let forwardedFor = "";
  let lengthSent = false;
  for (const h of lines) {
    switch (h.lower) {
      case "transfer-encoding":
      case "upgrade":
      case "expect":
        return undefined;
      case "content-length":
        // A repeated equal length is sent once: two Content-Length lines are a 400 for Node and others.
        if (lengthSent) continue;
        lengthSent = true;
        break;
      case "host":
        host = h.value;
        break;
      case "x-forwarded-for":
        forwardedFor = forwardedFor ? `${forwardedFor}, ${h.value}` : h.value;
        continue;
      case "x-forwarded-host":
      case "x-forwarded-proto":
        continue;
    }
    if (forwarded(h, options)) out += `${h.name}: ${h.value}\r\n`;
  }
  out += `x-forwarded-for: ${forwardedFor ? `${forwardedFor}, ${remoteAddress}` : remoteAddress}\r\nx-forwarded-host: ${host}\r\nx-forwarded-proto: http\r\n\r\n`;
  return {
    method,
    target,
    contentLength: Math.max(contentLength, 0),
    close: options.has("close"),
    isWrite: method !== "GET" && method !== "HEAD" && method !== "OPTIONS",
    forwardHead: out,
  };
}

/** How a response body is delimited. */
export type BodyFraming = { kind: "none" } | { kind: "length"; length: number } | { kind: "chunked" } | { kind: "close" };

export interface ResponseHead {
  status: number;
  /** 1xx other than 101: an interim response; the final one follows. */
  interim: boolean;
  framing: BodyFraming;
  /** The upstream will not take another request on this connection. */
  upstreamCloses: boolean;
  /**
   * The head for the client without its terminating blank line, so the caller
   * can add headers (which slot answered, `connection: close`).
   */
  clientHead: string;
}

/** Parse an upstream response head; undefined when it is not valid HTTP/1.x. */
export function parseResponseHead(text: string, requestMethod: string): ResponseHead | undefined {
  const lineEnd = text.indexOf("\r\n");
  // "HTTP/1.x NNN[ reason]", checked by hand: this runs for every response.
  const minor = text[7];
  const code = text.slice(9, 12);
  if (!text.startsWith("HTTP/1.") || (minor !== "0" && minor !== "1") || text[8] !== " " || !STATUS.test(code) || (lineEnd > 12 && text[12] !== " ")) return undefined;
  const lines = headerLines(text, lineEnd + 2);
  if (!lines) return undefined;
  const status = Number(code);
  const options = connectionOptions(lines);
  const contentLength = contentLengthOf(lines);
  if (Number.isNaN(contentLength)) return undefined;
  /** All transfer-encoding lines, joined as one list. */
  let codings = "";
  for (const h of lines) if (h.lower === "transfer-encoding") codings = codings ? `${codings}, ${h.value}` : h.value;
  // Only "chunked" (last) is a framing the fast path can follow; any other coding is read to close.
  const chunked = codings !== "" && codings.toLowerCase().split(",").pop()?.trim() === "chunked";
  let out = `HTTP/1.1 ${code} ${text.slice(13, lineEnd)}\r\n`;
  let lengthSent = false;
  for (const h of lines) {
    if (h.lower === "content-length") {
      // RFC 9112 §6.3: Transfer-Encoding overrides Content-Length, which a proxy must then remove;
      // a repeated equal length is sent once (clients reject two Content-Length lines).
      if (codings || lengthSent) continue;
      lengthSent = true;
    }
    if (forwarded(h, options)) out += `${h.name}: ${h.value}\r\n`;
  }
  let framing: BodyFraming;
  if (status < 200 || status === 204 || status === 304 || requestMethod === "HEAD") framing = { kind: "none" };
  else if (chunked) framing = { kind: "chunked" };
  else if (codings) framing = { kind: "close" };
  else if (contentLength >= 0) framing = { kind: "length", length: contentLength };
  else framing = { kind: "close" };
  // HTTP/1.0 closes unless it asked for keep-alive; any `close` option closes; so does a body read to close.
  const upstreamCloses = options.has("close") || (minor === "0" && !options.has("keep-alive")) || (codings !== "" && !chunked) || framing.kind === "close";
  // The client gets the body in the framing it came in: chunked passes through unchanged.
  if (framing.kind === "chunked") out += "transfer-encoding: chunked\r\n";
  return { status, interim: status >= 100 && status < 200 && status !== 101, framing, upstreamCloses, clientHead: out };
}

/** A short plain-text answer from the proxy itself (502, 503), with a hint to retry. */
export function localAnswer(status: 502 | 503, slot: string, text: string, close: boolean): string {
  const reason = status === 502 ? "Bad Gateway" : "Service Unavailable";
  return `HTTP/1.1 ${status} ${reason}\r\ncontent-type: text/plain\r\nretry-after: 1\r\nx-cutover-slot: ${slot}\r\ncontent-length: ${Buffer.byteLength(text)}\r\n${close ? "connection: close\r\n" : ""}\r\n${text}`;
}
