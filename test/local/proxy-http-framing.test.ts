/**
 * Response framing through a real ReverseProxy on loopback: chunked bodies
 * streamed slowly (with trailers), bodies read until the app closes, responses
 * without a body (HEAD, 204, 304, 103 Early Hints), ambiguous framing,
 * pipelining, half-closed clients, and a client too slow to keep up with a
 * large response.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { digestApp, pattern, ProxyFixture, request, sha256, sleep, type Digest } from "./proxy-fixtures.js";

const f = new ProxyFixture();
beforeAll(() => f.start());
afterAll(() => f.close());

const GET = (path: string, extra = "") => `GET ${path} HTTP/1.1\r\nHost: shop.example\r\n${extra}\r\n`;

describe("ReverseProxy: response framing", () => {
  it(
    "streams a slow chunked response of several MB cut mid-line, intact with its trailer; then reuses the " +
      "connection",
    async () => {
      const data: Buffer[] = [];
      f.use(
        await f.rawHttp(async ({ head }, socket) => {
          if (!head.startsWith("GET /big "))
            return void socket.write("HTTP/1.1 200 OK\r\ncontent-length: 4\r\n\r\nnext");
          socket.write(
            "HTTP/1.1 200 OK\r\ncontent-type: application/octet-stream\r\ntransfer-encoding: chunked\r\n\r\n",
          );
          for (let i = 0; i < 40; i++) {
            const chunk = pattern(100_000 + i * 1_001, i + 1);
            data.push(chunk);
            const sizeLine = `${chunk.length.toString(16)}${i % 3 === 0 ? `;n=${i}` : ""}\r\n`;
            const bytes = Buffer.concat([Buffer.from(sizeLine), chunk, Buffer.from("\r\n")]);
            // Cuts inside the size line and inside the data.
            for (const part of [
              bytes.subarray(0, 2),
              bytes.subarray(2, sizeLine.length + 999),
              bytes.subarray(sizeLine.length + 999),
            ]) {
              socket.write(part);
              await sleep(1);
            }
          }
          socket.write(`0\r\nx-sha256: ${sha256(Buffer.concat(data))}\r\n\r\n`);
        }),
      );
      const c = await f.client();
      c.write(GET("/big"));
      const r = await c.next();
      expect(r.status).toBe(200);
      expect(r.headers["transfer-encoding"]).toBe("chunked");
      expect(r.headers["x-cutover-slot"]).toBe("blue");
      expect(r.body.length).toBeGreaterThan(4_000_000);
      expect(sha256(r.body)).toBe(sha256(Buffer.concat(data)));
      expect(r.raw.toString("latin1").endsWith(`\r\nx-sha256: ${sha256(Buffer.concat(data))}\r\n\r\n`)).toBe(true);
      c.write(GET("/next"));
      expect((await c.next()).body.toString()).toBe("next");
      expect(c.ended).toBe(false);
    },
  );

  it("reads a body with neither length nor chunked until the app closes, and sends it on chunked", async () => {
    f.use(
      await f.rawHttp(async ({ head }, socket) => {
        if (!head.startsWith("GET /stream "))
          return void socket.write("HTTP/1.1 200 OK\r\ncontent-length: 4\r\n\r\nnext");
        socket.write("HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\n\r\npart one, ");
        await sleep(20);
        socket.write("part two, ");
        await sleep(20);
        socket.end("the end");
      }),
    );
    const c = await f.client();
    c.write(GET("/stream"));
    const r = await c.next();
    expect(r.headers["transfer-encoding"]).toBe("chunked");
    expect(r.body.toString()).toBe("part one, part two, the end");
    expect(f.proxy.counts("blue").inFlight).toBe(0);
    // The client's connection outlives the app's.
    c.write(GET("/next"));
    expect((await c.next()).body.toString()).toBe("next");
  });

  it("reassembles a response head that arrives in pieces", async () => {
    f.use(
      await f.rawHttp(async (_, socket) => {
        for (const part of ["HTTP/1.1 200 OK\r\ncontent-le", "ngth: 2\r\n\r", "\nok"]) {
          socket.write(part);
          await sleep(15);
        }
      }),
    );
    const c = await f.client();
    c.write(GET("/pieces"));
    const r = await c.next();
    expect([r.status, r.body.toString()]).toEqual([200, "ok"]);
  });

  it(
    "sends the client only content-length bytes when the " + "app sends more, and then stops using that app connection",
    async () => {
      let connections = 0;
      f.use(
        await f.raw((socket) => {
          connections++;
          socket.on("data", () => socket.write("HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nokEXTRA"));
        }),
      );
      const c = await f.client();
      for (const path of ["/a", "/b"]) {
        c.write(GET(path));
        expect((await c.next()).body.toString()).toBe("ok");
      }
      await sleep(20);
      expect(c.unread).toBe(0);
      expect(connections).toBe(2);
    },
  );

  it("does not reuse an HTTP/1.0 app's connection unless it says keep-alive", async () => {
    let connections = 0;
    const port = await f.raw((socket) => {
      connections++;
      // Answers every request it gets, and never closes by itself.
      socket.on("data", () => socket.write("HTTP/1.0 200 OK\r\ncontent-length: 2\r\n\r\nok"));
    });
    f.use(port);
    const c = await f.client();
    for (let i = 0; i < 3; i++) {
      c.write(GET(`/${i}`));
      const r = await c.next();
      expect(r.head.startsWith("HTTP/1.1 200")).toBe(true);
      expect(r.body.toString()).toBe("ok");
    }
    expect(connections).toBe(3);
  });

  it(
    "answers HEAD with the length header and no body, " + "and the next request on the connection is read right",
    async () => {
      f.use(
        await f.app((req, res) =>
          res
            .writeHead(200, { "content-type": "text/plain", "content-length": "11" })
            .end(req.method === "HEAD" ? undefined : "hello world"),
        ),
      );
      const c = await f.client();
      c.write("HEAD / HTTP/1.1\r\nHost: a\r\n\r\n");
      const head = await c.next("HEAD");
      expect(head.status).toBe(200);
      expect(head.headers["content-length"]).toBe("11");
      expect(head.body.length).toBe(0);
      c.write(GET("/"));
      const get = await c.next();
      expect(get.body.toString()).toBe("hello world");
      expect(c.unread).toBe(0);
    },
  );

  it("passes 204 and 304 (no body) and keeps the connection in step", async () => {
    f.use(
      await f.app((req, res) => {
        if (req.url === "/204") res.writeHead(204).end();
        else if (req.url === "/304") res.writeHead(304, { etag: '"v1"' }).end();
        else res.end("fresh");
      }),
    );
    const c = await f.client();
    c.write(GET("/204"));
    expect((await c.next()).status).toBe(204);
    c.write(GET("/304", 'If-None-Match: "v1"\r\n'));
    const notModified = await c.next();
    expect(notModified.status).toBe(304);
    expect(notModified.headers.etag).toBe('"v1"');
    c.write(GET("/"));
    expect((await c.next()).body.toString()).toBe("fresh");
    expect(c.unread).toBe(0);
  });

  it("forwards a 103 Early Hints before the final response", async () => {
    f.use(
      await f.app((_, res) =>
        res.writeEarlyHints({ link: "</style.css>; rel=preload" }, () => setTimeout(() => res.end("final"), 20)),
      ),
    );
    const c = await f.client();
    c.write(GET("/"));
    const hints = await c.next();
    expect(hints.status).toBe(103);
    expect(hints.headers.link).toBe("</style.css>; rel=preload");
    const final = await c.next();
    expect(final.status).toBe(200);
    expect(final.body.toString()).toBe("final");
  });

  it(
    "answers pipelined requests sent in one write (two GETs " + "and a POST) in order, even when the first is slowest",
    async () => {
      const digest = digestApp();
      f.use(
        await f.app((req, res) =>
          req.url === "/slow" ? void sleep(50).then(() => digest(req, res)) : digest(req, res),
        ),
      );
      const c = await f.client();
      c.write(`${GET("/slow")}${GET("/2")}POST /3 HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello`);
      const answers: Digest[] = [];
      for (let i = 0; i < 3; i++) answers.push(JSON.parse((await c.next()).body.toString()) as Digest);
      expect(answers.map((a) => `${a.method} ${a.url}`)).toEqual(["GET /slow", "GET /2", "POST /3"]);
      expect(answers[2]).toMatchObject({ bytes: 5, sha256: sha256("hello") });
      expect(c.unread).toBe(0);
    },
  );

  it("answers a client that half-closes right after sending its request, then closes", async () => {
    f.use(await f.app(digestApp()));
    const c = await f.client();
    c.socket.end(GET("/bye"));
    const r = await c.next();
    expect(r.status).toBe(200);
    expect((JSON.parse(r.body.toString()) as Digest).url).toBe("/bye");
    await c.closed;
  });

  it("answers every pipelined request of a client that half-closed after sending them", async () => {
    f.use(await f.app(digestApp()));
    const c = await f.client();
    c.socket.end(`${GET("/one")}${GET("/two")}${GET("/three")}`);
    const urls: string[] = [];
    for (let i = 0; i < 3; i++) urls.push((JSON.parse((await c.next()).body.toString()) as Digest).url);
    expect(urls).toEqual(["/one", "/two", "/three"]);
    await c.closed;
  });

  it("closes after the answer when the client sends `connection: close`, ignoring requests after it", async () => {
    f.use(await f.app(digestApp()));
    const c = await f.client();
    c.write(`${GET("/last", "Connection: close\r\n")}${GET("/ignored")}`);
    const r = await c.next();
    expect(r.headers.connection).toBe("close");
    expect((JSON.parse(r.body.toString()) as Digest).url).toBe("/last");
    await c.closed;
    expect(c.unread).toBe(0);
  });

  it(
    "answers 502 with Retry-After to ambiguous framing " + "(chunked with a content-length, or the length twice)",
    async () => {
      f.use(
        await f.rawHttp(({ head }, socket) => {
          if (head.startsWith("GET /both "))
            socket.write(
              "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
            );
          else socket.write("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\nhello");
        }),
      );
      for (const path of ["/both", "/twice"]) {
        const r = await request(f.port, { path });
        expect(r.status).toBe(502);
        expect(r.headers["retry-after"]).toBe("1");
      }
      expect(f.proxy.counts("blue").inFlight).toBe(0);
    },
  );

  it(
    "holds a large response back while the client does " + "not read (backpressure), then delivers it exactly",
    async () => {
      const big = pattern(48 * 1024 * 1024, 7);
      let finished = false;
      f.use(
        await f.app((_, res) => res.writeHead(200, { "content-length": big.length }).end(big, () => (finished = true))),
      );
      const c = await f.client();
      c.socket.pause();
      c.write(GET("/big"));
      await sleep(500);
      // Kernel buffers hold some MB; without backpressure the proxy would take all 48 MB into memory.
      expect(finished).toBe(false);
      c.socket.resume();
      const r = await c.next();
      expect(r.body.length).toBe(big.length);
      expect(sha256(r.body)).toBe(sha256(big));
      expect(finished).toBe(true);
    },
  );
});
