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

  let out = `${line}\r\n`;
  let contentLength = -1;
  let close = false;
  let host = "";
  let forwardedFor = "";
  let pos = lineEnd + 2;
  const stop = text.length - 2;
  while (pos < stop) {
    const next = text.indexOf("\r\n", pos);
    const colon = text.indexOf(":", pos);
    if (colon < 0 || colon > next) return undefined;
    const name = text.slice(pos, colon);
    const value = text.slice(colon + 1, next).trim();
    pos = next + 2;
    if (!TOKEN.test(name)) return undefined;
    const lower = name.toLowerCase();
    switch (lower) {
      case "content-length":
        if (!DIGITS.test(value) || (contentLength >= 0 && contentLength !== Number(value))) return undefined;
        // A repeated equal length is sent once: two Content-Length lines are a 400 for Node and others.
        if (contentLength < 0) out += `${name}: ${value}\r\n`;
        contentLength = Number(value);
        continue;
      case "connection": {
        const tokens = value.toLowerCase().split(",").map((t) => t.trim());
        if (tokens.includes("upgrade")) return undefined;
        if (tokens.includes("close")) close = true;
        continue;
      }
      case "transfer-encoding":
      case "upgrade":
      case "expect":
        return undefined;
      case "host":
        host = value;
        break;
      case "x-forwarded-for":
        forwardedFor = forwardedFor ? `${forwardedFor}, ${value}` : value;
        continue;
      case "x-forwarded-host":
      case "x-forwarded-proto":
        continue;
    }
    if (!HOP_BY_HOP.has(lower)) out += `${name}: ${value}\r\n`;
  }
  out += `x-forwarded-for: ${forwardedFor ? `${forwardedFor}, ${remoteAddress}` : remoteAddress}\r\nx-forwarded-host: ${host}\r\nx-forwarded-proto: http\r\n\r\n`;
  return {
    method,
    target,
    contentLength: Math.max(contentLength, 0),
    close,
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
  const line = text.slice(0, lineEnd);
  const m = /^HTTP\/1\.([01]) (\d{3})(?: (.*))?$/.exec(line);
  if (!m) return undefined;
  const http10 = m[1] === "0";
  const status = Number(m[2]);
  let out = `HTTP/1.1 ${m[2]} ${m[3] ?? ""}\r\n`;
  let contentLength = -1;
  /** Where the (first) content-length line is in `out`, to drop it if a transfer-encoding overrides it. */
  let lengthLine: { at: number; text: string } | undefined;
  /** All transfer-encoding lines, joined as one list. */
  let codings = "";
  let close = http10;
  let pos = lineEnd + 2;
  const stop = text.length - 2;
  while (pos < stop) {
    const next = text.indexOf("\r\n", pos);
    const colon = text.indexOf(":", pos);
    if (colon < 0 || colon > next) return undefined;
    const name = text.slice(pos, colon);
    const value = text.slice(colon + 1, next).trim();
    pos = next + 2;
    const lower = name.toLowerCase();
    if (lower === "content-length") {
      if (!DIGITS.test(value) || (contentLength >= 0 && contentLength !== Number(value))) return undefined;
      // Sent once even if repeated (clients reject two Content-Length lines).
      if (contentLength < 0) {
        lengthLine = { at: out.length, text: `${name}: ${value}\r\n` };
        out += lengthLine.text;
      }
      contentLength = Number(value);
      continue;
    } else if (lower === "transfer-encoding") {
      codings = codings ? `${codings}, ${value}` : value;
    } else if (lower === "connection") {
      const tokens = value.toLowerCase().split(",").map((t) => t.trim());
      if (tokens.includes("close")) close = true;
      else if (http10 && tokens.includes("keep-alive")) close = false;
    }
    if (!HOP_BY_HOP.has(lower)) out += `${name}: ${value}\r\n`;
  }
  const interim = status >= 100 && status < 200 && status !== 101;
  // Only "chunked" (last) is a framing the fast path can follow; any other coding is read to close.
  const chunked = codings !== "" && codings.toLowerCase().split(",").pop()?.trim() === "chunked";
  if (codings && !chunked) close = true;
  // RFC 9112 §6.3: Transfer-Encoding overrides Content-Length, which a proxy must then remove.
  if (codings && lengthLine) out = out.slice(0, lengthLine.at) + out.slice(lengthLine.at + lengthLine.text.length);
  let framing: BodyFraming;
  if (status < 200 || status === 204 || status === 304 || requestMethod === "HEAD") framing = { kind: "none" };
  else if (chunked) framing = { kind: "chunked" };
  else if (codings) framing = { kind: "close" };
  else if (contentLength >= 0) framing = { kind: "length", length: contentLength };
  else framing = { kind: "close" };
  if (framing.kind === "close") close = true;
  // The client gets the body in the framing it came in: chunked passes through unchanged.
  if (framing.kind === "chunked") out += "transfer-encoding: chunked\r\n";
  return { status, interim, framing, upstreamCloses: close, clientHead: out };
}

/**
 * Follows a chunked body across reads (RFC 9112 §7.1) without copying it:
 * `scan` says how many bytes of a buffer belong to the body, and when the
 * last chunk and trailers have passed.
 */
export class ChunkedScanner {
  private state: "size" | "ext" | "sizeLf" | "data" | "dataCr" | "dataLf" | "trailerStart" | "trailer" | "trailerLf" | "endLf" | "done" = "size";
  private size = 0;
  private sizeDigits = 0;
  private remaining = 0;
  failed = false;

  get done(): boolean {
    return this.state === "done";
  }

  /** Bytes of `buf` (from `start`) that are body; stops at the end of the message. -1 on a framing error. */
  scan(buf: Buffer, start = 0): number {
    let i = start;
    while (i < buf.length && this.state !== "done") {
      if (this.state === "data") {
        const take = Math.min(this.remaining, buf.length - i);
        i += take;
        this.remaining -= take;
        if (this.remaining === 0) this.state = "dataCr";
        continue;
      }
      const c = buf[i++]!;
      switch (this.state) {
        case "size": {
          const digit = hexValue(c);
          if (digit >= 0 && this.sizeDigits < 12) {
            this.size = this.size * 16 + digit;
            this.sizeDigits++;
          } else if (this.sizeDigits > 0 && (c === 0x3b || c === 0x20 || c === 0x09)) this.state = "ext";
          else if (this.sizeDigits > 0 && c === 0x0d) this.state = "sizeLf";
          else return this.fail();
          break;
        }
        case "ext":
          if (c === 0x0d) this.state = "sizeLf";
          break;
        case "sizeLf":
          if (c !== 0x0a) return this.fail();
          this.remaining = this.size;
          this.state = this.size === 0 ? "trailerStart" : "data";
          this.size = 0;
          this.sizeDigits = 0;
          break;
        case "dataCr":
          if (c !== 0x0d) return this.fail();
          this.state = "dataLf";
          break;
        case "dataLf":
          if (c !== 0x0a) return this.fail();
          this.state = "size";
          break;
        case "trailerStart":
          this.state = c === 0x0d ? "endLf" : "trailer";
          break;
        case "trailer":
          if (c === 0x0d) this.state = "trailerLf";
          break;
        case "trailerLf":
          if (c !== 0x0a) return this.fail();
          this.state = "trailerStart";
          break;
        case "endLf":
          if (c !== 0x0a) return this.fail();
          this.state = "done";
          break;
      }
    }
    return i - start;
  }

  private fail(): number {
    this.failed = true;
    return -1;
  }
}

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  return -1;
}
