/**
 * The fast path's HTTP/1.1 pieces on their own: which request heads it takes
 * (and how it rewrites them), how it reads a response head's framing, and the
 * chunked-body scanner fed in every possible split.
 */
import { describe, expect, it } from "vitest";
import { ChunkedScanner } from "../../src/providers/local/chunked.js";
import { headEnd, parseRequestHead, parseResponseHead } from "../../src/providers/local/http1.js";

const req = (lines: string[]) => `${lines.join("\r\n")}\r\n\r\n`;
const res = (lines: string[], method = "GET") => parseResponseHead(`${lines.join("\r\n")}\r\n\r\n`, method);

describe("headEnd", () => {
  it("points just past the blank line, or -1 while the head is incomplete", () => {
    expect(headEnd(Buffer.from("GET / HTTP/1.1\r\nHost: a\r\n\r\nbody"))).toBe(27);
    expect(headEnd(Buffer.from("GET / HTTP/1.1\r\nHost: a\r\n\r"))).toBe(-1);
  });
});

describe("parseRequestHead", () => {
  it("takes a plain GET and forwards it with X-Forwarded-* added", () => {
    const head = parseRequestHead(req(["GET /a?b=1 HTTP/1.1", "Host: shop.example", "Accept: */*"]), "10.1.1.1");
    expect(head).toEqual({
      method: "GET",
      target: "/a?b=1",
      contentLength: 0,
      close: false,
      isWrite: false,
      forwardHead: "GET /a?b=1 HTTP/1.1\r\nHost: shop.example\r\nAccept: */*\r\nx-forwarded-for: 10.1.1.1\r\nx-forwarded-host: shop.example\r\nx-forwarded-proto: http\r\n\r\n",
    });
  });

  it("counts every method but GET, HEAD and OPTIONS as a write", () => {
    const isWrite = (m: string) => parseRequestHead(req([`${m} / HTTP/1.1`, "Host: a"]), "::1")?.isWrite;
    expect(["GET", "HEAD", "OPTIONS"].map(isWrite)).toEqual([false, false, false]);
    expect(["POST", "PUT", "PATCH", "DELETE", "PURGE"].map(isWrite)).toEqual([true, true, true, true, true]);
  });

  const notSimple: Record<string, string[]> = {
    "HTTP/1.0": ["GET / HTTP/1.0", "Host: a"],
    "HTTP/2.0 request line": ["GET / HTTP/2.0", "Host: a"],
    "no version": ["GET /", "Host: a"],
    "lower-case version": ["GET / http/1.1", "Host: a"],
    "CONNECT": ["CONNECT a:443 HTTP/1.1", "Host: a:443"],
    "a method that is not a token": ["GE(T / HTTP/1.1", "Host: a"],
    "two spaces in the request line": ["GET  / HTTP/1.1", "Host: a"],
    "Upgrade": ["GET / HTTP/1.1", "Host: a", "Upgrade: websocket"],
    "Connection: upgrade": ["GET / HTTP/1.1", "Host: a", "Connection: keep-alive, Upgrade"],
    "Expect": ["POST / HTTP/1.1", "Host: a", "Content-Length: 3", "Expect: 100-continue"],
    "chunked body": ["POST / HTTP/1.1", "Host: a", "Transfer-Encoding: chunked"],
    "any transfer-encoding": ["POST / HTTP/1.1", "Host: a", "Transfer-Encoding: identity", "Content-Length: 3"],
    "a header line without a colon": ["GET / HTTP/1.1", "Host: a", "Broken"],
    "space before the colon": ["GET / HTTP/1.1", "Host : a"],
    "an obs-fold continuation line": ["GET / HTTP/1.1", "Host: a", "X-Long: one", " two"],
    "an empty header name": ["GET / HTTP/1.1", "Host: a", ": x"],
    "conflicting content-lengths": ["POST / HTTP/1.1", "Host: a", "Content-Length: 3", "Content-Length: 4"],
    "a content-length list": ["POST / HTTP/1.1", "Host: a", "Content-Length: 3, 3"],
    "a negative content-length": ["POST / HTTP/1.1", "Host: a", "Content-Length: -1"],
    "a hex content-length": ["POST / HTTP/1.1", "Host: a", "Content-Length: 0x10"],
    "an empty content-length": ["POST / HTTP/1.1", "Host: a", "Content-Length:"],
    "a 16-digit content-length": ["POST / HTTP/1.1", "Host: a", "Content-Length: 1000000000000000"],
    // A bare LF or CR inside a line: some apps read it as a line break (request smuggling).
    "a bare LF in a header value": ["GET / HTTP/1.1", "Host: a\nTransfer-Encoding: chunked"],
    "a bare CR in a header value": ["GET / HTTP/1.1", "Host: a\rX: y"],
    "a bare LF in the request line": ["GET /\nX HTTP/1.1", "Host: a"],
    "a NUL in a header value": ["GET / HTTP/1.1", "Host: a\0b"],
  };
  it.each(Object.entries(notSimple))("leaves a request with %s to Node's parser", (_, lines) => {
    expect(parseRequestHead(req(lines), "127.0.0.1")).toBeUndefined();
  });

  it("appends the client's address to X-Forwarded-For (all of its lines merged) and replaces X-Forwarded-Host/Proto", () => {
    const head = parseRequestHead(
      req(["GET / HTTP/1.1", "X-Forwarded-For: 10.0.0.1", "Host: shop.example", "x-forwarded-for: 10.0.0.2, 10.0.0.3", "X-Forwarded-Host: evil.example", "X-Forwarded-Proto: https"]),
      "127.0.0.1",
    )!;
    expect(head.forwardHead).toBe(
      "GET / HTTP/1.1\r\nHost: shop.example\r\nx-forwarded-for: 10.0.0.1, 10.0.0.2, 10.0.0.3, 127.0.0.1\r\nx-forwarded-host: shop.example\r\nx-forwarded-proto: http\r\n\r\n",
    );
  });

  it("drops hop-by-hop headers and keeps the rest, names as sent", () => {
    const head = parseRequestHead(
      req(["DELETE /x HTTP/1.1", "Host: a", "Connection: keep-alive", "Keep-Alive: timeout=5", "Proxy-Connection: keep-alive", "TE: trailers", "Trailer: X-Sum", "X-Custom:  kept  ", "Authorization: Bearer t"]),
      "::1",
    )!;
    expect(head.forwardHead).toBe(
      "DELETE /x HTTP/1.1\r\nHost: a\r\nX-Custom: kept\r\nAuthorization: Bearer t\r\nx-forwarded-for: ::1\r\nx-forwarded-host: a\r\nx-forwarded-proto: http\r\n\r\n",
    );
    expect(head.close).toBe(false);
  });

  it("reads content-length (whitespace around it allowed), and forwards a repeated equal one only once", () => {
    expect(parseRequestHead(req(["POST / HTTP/1.1", "Host: a", "Content-Length:  12 "]), "::1")?.contentLength).toBe(12);
    expect(parseRequestHead(req(["POST / HTTP/1.1", "Host: a", "content-length: 0"]), "::1")?.contentLength).toBe(0);
    const dup = parseRequestHead(req(["POST / HTTP/1.1", "Host: a", "Content-Length: 5", "content-length: 5"]), "::1")!;
    expect(dup.contentLength).toBe(5);
    // Two Content-Length lines, even equal, are a 400 for many servers (Node's among them).
    expect(dup.forwardHead.match(/content-length/gi)).toHaveLength(1);
  });

  it("notes `connection: close` (in any case, among other tokens) and does not forward it", () => {
    for (const value of ["close", "Close", "keep-alive, close", "foo,close"]) {
      const head = parseRequestHead(req(["GET / HTTP/1.1", "Host: a", `Connection: ${value}`]), "::1")!;
      expect(head.close).toBe(true);
      expect(head.forwardHead).not.toMatch(/connection:/i);
    }
    expect(parseRequestHead(req(["GET / HTTP/1.1", "Host: a", "Connection: closed"]), "::1")!.close).toBe(false);
  });
});

describe("headers named by Connection (RFC 9110 §7.6.1)", () => {
  it("are dropped from a request, but never Host or Content-Length", () => {
    const head = parseRequestHead(req(["POST / HTTP/1.1", "Host: a", "Connection: x-hop, Host, Content-Length", "X-Hop: 1", "X-Kept: 2", "Content-Length: 3"]), "::1");
    expect(head?.forwardHead).toBe("POST / HTTP/1.1\r\nHost: a\r\nX-Kept: 2\r\nContent-Length: 3\r\nx-forwarded-for: ::1\r\nx-forwarded-host: a\r\nx-forwarded-proto: http\r\n\r\n");
    expect(head?.contentLength).toBe(3);
  });

  it("are dropped from a response", () => {
    const head = res(["HTTP/1.1 200 OK", "Connection: keep-alive, X-Internal", "X-Internal: secret-ish", "X-Public: yes", "Content-Length: 0"]);
    expect(head?.clientHead).toBe("HTTP/1.1 200 OK\r\nX-Public: yes\r\nContent-Length: 0\r\n");
    expect(head?.upstreamCloses).toBe(false);
  });
});

describe("parseResponseHead", () => {
  it("frames a body by content-length, and gives the head back without its blank line", () => {
    expect(res(["HTTP/1.1 200 OK", "Content-Type: text/plain", "Content-Length: 5", "Keep-Alive: timeout=5"])).toEqual({
      status: 200,
      interim: false,
      framing: { kind: "length", length: 5 },
      upstreamCloses: false,
      clientHead: "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n",
    });
  });

  it("knows HEAD, 204 and 304 responses have no body, whatever their headers say", () => {
    expect(res(["HTTP/1.1 200 OK", "Content-Length: 500"], "HEAD")).toMatchObject({ framing: { kind: "none" }, upstreamCloses: false });
    expect(res(["HTTP/1.1 200 OK", "Transfer-Encoding: chunked"], "HEAD")!.framing).toEqual({ kind: "none" });
    expect(res(["HTTP/1.1 204 No Content"])).toMatchObject({ framing: { kind: "none" }, upstreamCloses: false });
    expect(res(["HTTP/1.1 304 Not Modified", "Content-Length: 10", "ETag: \"x\""])).toMatchObject({ framing: { kind: "none" }, upstreamCloses: false });
  });

  it("marks 1xx other than 101 as interim, with no body", () => {
    expect(res(["HTTP/1.1 100 Continue"])).toMatchObject({ status: 100, interim: true, framing: { kind: "none" } });
    expect(res(["HTTP/1.1 103 Early Hints", "Link: </a.css>; rel=preload"])).toMatchObject({
      interim: true,
      clientHead: "HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n",
    });
    expect(res(["HTTP/1.1 101 Switching Protocols", "Upgrade: websocket", "Connection: Upgrade"])).toMatchObject({ status: 101, interim: false });
  });

  it("passes a chunked body through as chunked, and drops a content-length sent with it", () => {
    const head = res(["HTTP/1.1 200 OK", "Transfer-Encoding: chunked", "X-A: 1"])!;
    expect(head).toMatchObject({ framing: { kind: "chunked" }, upstreamCloses: false });
    expect(head.clientHead).toBe("HTTP/1.1 200 OK\r\nX-A: 1\r\ntransfer-encoding: chunked\r\n");
    expect(res(["HTTP/1.1 200 OK", "Transfer-Encoding: gzip, chunked"])!.framing).toEqual({ kind: "chunked" });
    // RFC 9112 §6.3: chunked wins, and a proxy must remove the content-length (clients reject both).
    const both = res(["HTTP/1.1 200 OK", "Content-Length: 99", "Transfer-Encoding: chunked"])!;
    expect(both.framing).toEqual({ kind: "chunked" });
    expect(both.clientHead).not.toMatch(/content-length/i);
  });

  it("reads a body with neither length nor chunked (or another transfer-coding) until the app closes", () => {
    expect(res(["HTTP/1.1 200 OK", "Content-Type: text/plain"])).toMatchObject({ framing: { kind: "close" }, upstreamCloses: true });
    expect(res(["HTTP/1.1 200 OK", "Transfer-Encoding: gzip"])).toMatchObject({ framing: { kind: "close" }, upstreamCloses: true });
    expect(res(["HTTP/1.1 200 OK", "Transfer-Encoding: chunked, gzip"])).toMatchObject({ framing: { kind: "close" }, upstreamCloses: true });
    // Transfer-Encoding overrides Content-Length; the length would not describe the bytes on the wire.
    const coded = res(["HTTP/1.1 200 OK", "Content-Length: 3", "Transfer-Encoding: gzip"])!;
    expect(coded).toMatchObject({ framing: { kind: "close" }, upstreamCloses: true });
    expect(coded.clientHead).not.toMatch(/content-length|transfer-encoding/i);
  });

  it("keeps an HTTP/1.0 app's connection only when it says keep-alive, and answers the client in HTTP/1.1", () => {
    expect(res(["HTTP/1.0 200 OK", "Content-Length: 2"])).toMatchObject({ upstreamCloses: true, framing: { kind: "length", length: 2 } });
    const kept = res(["HTTP/1.0 200 OK", "Content-Length: 2", "Connection: Keep-Alive"])!;
    expect(kept.upstreamCloses).toBe(false);
    expect(kept.clientHead).toBe("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n");
    expect(res(["HTTP/1.0 200 OK", "Connection: keep-alive"])!.upstreamCloses).toBe(true); // no length: read to close
  });

  it("notes an HTTP/1.1 app's `connection: close` and does not pass it on", () => {
    const head = res(["HTTP/1.1 200 OK", "Content-Length: 0", "Connection: close"])!;
    expect(head.upstreamCloses).toBe(true);
    expect(head.clientHead).toBe("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n");
    expect(res(["HTTP/1.1 200", "Content-Length: 0"])!.clientHead).toBe("HTTP/1.1 200 \r\nContent-Length: 0\r\n");
  });

  it("rejects what is not an HTTP/1.x response head", () => {
    expect(res(["HTTP/2 200 OK"])).toBeUndefined();
    expect(res(["HTTP/1.1 20 OK"])).toBeUndefined();
    expect(res(["SSH-2.0-OpenSSH_9.6"])).toBeUndefined();
    expect(res(["HTTP/1.1 200 OK", "no colon here"])).toBeUndefined();
    expect(res(["HTTP/1.1 200 OK", "Content-Length: 2", "Content-Length: 3"])).toBeUndefined();
    expect(res(["HTTP/1.1 200 OK", "Content-Length: two"])).toBeUndefined();
  });

  it("forwards a repeated equal content-length once", () => {
    const head = res(["HTTP/1.1 200 OK", "Content-Length: 2", "content-length: 2"])!;
    expect(head.framing).toEqual({ kind: "length", length: 2 });
    expect(head.clientHead.match(/content-length/gi)).toHaveLength(1);
  });
});

describe("ChunkedScanner", () => {
  const body = Buffer.from("5\r\nhello\r\n1;ext=\"a b\"\r\n \r\nA\r\n0123456789\r\n0;last\r\nX-Sum: 1\r\nX-Other: 2\r\n\r\n", "latin1");

  it("finds the end of a whole body in one buffer (extensions, upper-case hex and trailers)", () => {
    const s = new ChunkedScanner();
    expect(s.scan(body)).toBe(body.length);
    expect(s.done).toBe(true);
    expect(s.failed).toBe(false);
  });

  it("gives the same answer for the body split at every byte boundary, and fed one byte at a time", () => {
    for (let cut = 1; cut < body.length; cut++) {
      const s = new ChunkedScanner();
      expect(s.scan(body.subarray(0, cut))).toBe(cut);
      expect(s.done).toBe(false);
      expect(s.scan(body.subarray(cut))).toBe(body.length - cut);
      expect(s.done).toBe(true);
    }
    const s = new ChunkedScanner();
    for (let i = 0; i < body.length; i++) expect(s.scan(body.subarray(i, i + 1))).toBe(1);
    expect(s.done).toBe(true);
  });

  it("follows a large chunk across many reads", () => {
    const data = Buffer.alloc(300_000, 7);
    const whole = Buffer.concat([Buffer.from(`${data.length.toString(16)}\r\n`), data, Buffer.from("\r\n0\r\n\r\n")]);
    const s = new ChunkedScanner();
    let seen = 0;
    for (let i = 0; i < whole.length; i += 65_536) seen += s.scan(whole.subarray(i, i + 65_536));
    expect(seen).toBe(whole.length);
    expect(s.done).toBe(true);
  });

  it("stops at the end of the message: bytes after it (the next response) are not consumed", () => {
    const next = Buffer.from("HTTP/1.1 200 OK\r\n");
    const s = new ChunkedScanner();
    expect(s.scan(Buffer.concat([Buffer.from("xx"), body, next]), 2)).toBe(body.length);
    expect(s.done).toBe(true);
    const empty = new ChunkedScanner();
    expect(empty.scan(Buffer.from("0\r\n\r\n0\r\n\r\n"))).toBe(5);
  });

  it.each([
    ["a size that is not hex", "g\r\n"],
    ["an empty size line", "\r\nhello\r\n"],
    ["a size line ended by a bare LF", "5\nhello\r\n0\r\n\r\n"],
    ["data not followed by CRLF", "5\r\nhelloX\r\n"],
    ["data followed by a bare LF", "5\r\nhello\n0\r\n\r\n"],
    ["a size of more than 12 hex digits", "1000000000000\r\n"],
    ["a trailer line ended by a bare CR", "0\r\nX: y\rZ"],
    ["a final CR not followed by LF", "0\r\n\rX"],
  ])("reports %s as a framing error (-1)", (_, text) => {
    const s = new ChunkedScanner();
    expect(s.scan(Buffer.from(text, "latin1"))).toBe(-1);
    expect(s.failed).toBe(true);
    expect(s.done).toBe(false);
  });
});
