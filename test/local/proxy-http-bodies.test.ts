/**
 * Request bodies through a real ReverseProxy on loopback: empty, small and
 * large ones (checksummed at the app), an app slower than the client, chunked
 * and `Expect: 100-continue` bodies, an app that answers before reading the
 * body, and a client that gives up.
 */
import http from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { digestApp, pattern, ProxyFixture, request, sha256, sleep, waitFor, type Digest } from "./proxy-fixtures.js";

const f = new ProxyFixture();
let digestPort = 0;
beforeAll(async () => {
  await f.start();
  digestPort = await f.app(digestApp());
});
afterAll(() => f.close());

const digestOf = (body: Buffer) => JSON.parse(body.toString()) as Digest;
const POST = (path: string, length: number, extra = "") =>
  `POST ${path} HTTP/1.1\r\nHost: a\r\nContent-Length: ${length}\r\n${extra}\r\n`;

describe("ReverseProxy: request bodies", () => {
  it("forwards POSTs with an empty body, with and without content-length: 0", async () => {
    f.use(digestPort);
    const c = await f.client();
    c.write(`${POST("/zero", 0)}POST /none HTTP/1.1\r\nHost: a\r\n\r\nGET /after HTTP/1.1\r\nHost: a\r\n\r\n`);
    const answers = [await c.next(), await c.next(), await c.next()].map((r) => digestOf(r.body));
    expect(answers.map((a) => [a.url, a.bytes])).toEqual([
      ["/zero", 0],
      ["/none", 0],
      ["/after", 0],
    ]);
    expect(answers[0]!.headers["content-length"]).toBe("0");
  });

  it("forwards a small body, also when it arrives in pieces after the head", async () => {
    f.use(digestPort);
    const c = await f.client();
    c.write(`${POST("/small", 11)}hello`);
    await sleep(20);
    c.write(" wor");
    await sleep(20);
    c.write(`ld${POST("/next", 3)}abc`);
    const first = digestOf((await c.next()).body);
    expect(first).toMatchObject({ url: "/small", bytes: 11, sha256: sha256("hello world") });
    expect(digestOf((await c.next()).body)).toMatchObject({ url: "/next", bytes: 3, sha256: sha256("abc") });
  });

  it("forwards a 5 MB body intact (node:http client)", async () => {
    f.use(digestPort);
    const body = pattern(5 * 1024 * 1024, 3);
    const r = await request(f.port, {
      method: "PUT",
      path: "/upload",
      headers: { "content-length": body.length },
      body,
    });
    expect(r.status).toBe(200);
    expect(digestOf(r.body)).toMatchObject({ method: "PUT", bytes: body.length, sha256: sha256(body) });
    expect(f.proxy.counts("blue")).toEqual({ inFlight: 0, inFlightWrites: 0 });
  });

  it("forwards a 5 MB body to an app that reads slower than the client sends (backpressure upstream)", async () => {
    const slow = digestApp();
    f.use(await f.app((req, res) => void sleep(300).then(() => slow(req, res))));
    const body = pattern(5 * 1024 * 1024, 4);
    const c = await f.client();
    c.write(POST("/slow", body.length));
    for (let i = 0; i < body.length; i += 100_000) c.write(body.subarray(i, i + 100_000));
    expect(digestOf((await c.next()).body)).toMatchObject({ url: "/slow", bytes: body.length, sha256: sha256(body) });
  });

  it("forwards a 1 MB body pipelined behind a slow request, and the request after it", async () => {
    const digest = digestApp();
    f.use(
      await f.app((req, res) =>
        req.url === "/slow" ? void sleep(100).then(() => digest(req, res)) : digest(req, res),
      ),
    );
    const body = pattern(1024 * 1024, 11);
    const c = await f.client();
    c.write(
      Buffer.concat([
        Buffer.from(`GET /slow HTTP/1.1\r\nHost: a\r\n\r\n${POST("/queued", body.length)}`),
        body,
        Buffer.from("GET /last HTTP/1.1\r\nHost: a\r\n\r\n"),
      ]),
    );
    const answers = [await c.next(), await c.next(), await c.next()].map((r) => digestOf(r.body));
    expect(answers.map((a) => a.url)).toEqual(["/slow", "/queued", "/last"]);
    expect(answers[1]).toMatchObject({ bytes: body.length, sha256: sha256(body) });
  });

  it("forwards a chunked request body intact", async () => {
    f.use(digestPort);
    const parts = [pattern(70_000, 5), pattern(1, 6), pattern(300_000, 7)];
    const c = await f.client();
    c.write("POST /chunked HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n");
    for (const p of parts)
      c.write(Buffer.concat([Buffer.from(`${p.length.toString(16)}\r\n`), p, Buffer.from("\r\n")]));
    c.write("0\r\n\r\n");
    const r = await c.next();
    expect(r.headers["x-cutover-slot"]).toBe("blue");
    expect(digestOf(r.body)).toMatchObject({ url: "/chunked", bytes: 370_001, sha256: sha256(Buffer.concat(parts)) });
    // The connection is kept: the next request is answered on it too.
    c.write("GET /again HTTP/1.1\r\nHost: a\r\n\r\n");
    expect(digestOf((await c.next()).body).url).toBe("/again");
  });

  it("sends 100 Continue to an `Expect: 100-continue` POST, then forwards its body", async () => {
    f.use(digestPort);
    const body = pattern(200_000, 8);
    const result = await new Promise<{ continued: boolean; status: number; digest: Digest }>((resolve, reject) => {
      let continued = false;
      const req = http.request({
        host: "127.0.0.1",
        port: f.port,
        method: "POST",
        path: "/expect",
        agent: false,
        headers: { expect: "100-continue", "content-length": body.length },
      });
      req.on("continue", () => {
        continued = true;
        req.end(body);
      });
      req.on("response", (res) => {
        const parts: Buffer[] = [];
        res.on("data", (d: Buffer) => parts.push(d));
        res.on("end", () =>
          resolve({ continued, status: res.statusCode ?? 0, digest: digestOf(Buffer.concat(parts)) }),
        );
      });
      req.on("error", reject);
      req.flushHeaders();
    });
    expect(result.continued).toBe(true);
    expect(result.status).toBe(200);
    expect(result.digest).toMatchObject({ bytes: body.length, sha256: sha256(body) });
  });

  it(
    "passes an answer the app gives before reading the body " + "(413), drops the rest of the body, and keeps serving",
    async () => {
      let seen = 0;
      f.use(
        await f.app((req, res) => {
          seen++;
          // Answers without reading, after its socket buffers (and then the proxy's writes to it) have filled up.
          if (req.url === "/too-big")
            return void sleep(300).then(() => res.writeHead(413, { "content-type": "text/plain" }).end("too big"));
          digestApp()(req, res);
        }),
      );
      // Big enough that the proxy is held back by the app when the
      // answer comes (it must then resume reading the client).
      const body = pattern(16 * 1024 * 1024, 9);
      const c = await f.client();
      c.write(POST("/too-big", body.length));
      c.write(body);
      const r = await c.next();
      expect(r.status).toBe(413);
      expect(r.body.toString()).toBe("too big");
      // The rest of the body is read and dropped: the same connection still works afterwards...
      c.write("GET /same-connection HTTP/1.1\r\nHost: a\r\n\r\n");
      expect(digestOf((await c.next()).body).url).toBe("/same-connection");
      // ...and so does a new one, and nothing is left counted in flight.
      expect(digestOf((await request(f.port, { path: "/new" })).body).url).toBe("/new");
      expect(seen).toBe(3);
      expect(f.proxy.counts("blue")).toEqual({ inFlight: 0, inFlightWrites: 0 });
    },
    20_000,
  );

  it(
    "answers 503 to a POST when the live slot has no " + "process, reads its body, and serves the next request",
    async () => {
      f.use(undefined, "green");
      const c = await f.client();
      c.write(`${POST("/nobody", 100_000)}`);
      c.write(pattern(100_000));
      const r = await c.next();
      expect(r.status).toBe(503);
      expect(r.headers["retry-after"]).toBe("1");
      expect(r.headers["x-cutover-slot"]).toBe("green");
      f.use(digestPort);
      c.write(POST("/then", 2));
      c.write("ok");
      expect(digestOf((await c.next()).body)).toMatchObject({ url: "/then", bytes: 2, name: "blue" });
    },
  );

  it("when the client gives up mid-body, closes the app's request and counts nothing in flight", async () => {
    let closed = false;
    let received = 0;
    f.use(
      await f.app((req, res) => {
        if (req.url !== "/abandoned") return digestApp()(req, res);
        req.on("data", (d: Buffer) => (received += d.length));
        req.on("close", () => (closed = true));
      }),
    );
    const c = await f.client();
    c.write(POST("/abandoned", 1_000_000));
    c.write(pattern(300_000));
    await waitFor(() => received === 300_000, "the app to receive the first part");
    expect(f.proxy.counts("blue")).toEqual({ inFlight: 1, inFlightWrites: 1 });
    c.socket.destroy();
    await waitFor(() => closed, "the app's request to close");
    expect(f.proxy.counts("blue")).toEqual({ inFlight: 0, inFlightWrites: 0 });
    expect(digestOf((await request(f.port, { method: "POST", path: "/next", body: "x" })).body)).toMatchObject({
      bytes: 1,
    });
  });
});
