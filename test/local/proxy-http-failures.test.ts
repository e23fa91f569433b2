/**
 * Through a real ReverseProxy on loopback: clients and apps that fail part
 * way, unusual requests (HTTP/1.0, bad or oversized heads, which the proxy
 * answers itself), and per-request routing of pipelined requests across a
 * swap of the live slot.
 */
import net, { type AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pattern, ProxyFixture, sleep, waitFor } from "./proxy-fixtures.js";

const f = new ProxyFixture();
beforeAll(() => f.start());
afterAll(() => f.close());

const GET = (path: string, version = "1.1") => `GET ${path} HTTP/${version}\r\nHost: shop.example\r\n\r\n`;

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const port = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

describe("ReverseProxy: failures part way", () => {
  it(
    "when the client disconnects mid-response, closes the app's side, counts nothing in flight, and serves the " +
      "next request",
    async () => {
      let appSawClose = false;
      f.use(
        await f.app((req, res) => {
          if (req.url !== "/endless") return void res.end("fine");
          res.writeHead(200, { "content-type": "application/octet-stream" });
          const timer = setInterval(() => res.write(pattern(64 * 1024)), 2);
          res.on("close", () => {
            clearInterval(timer);
            appSawClose = true;
          });
        }),
      );
      const c = await f.client();
      c.write(GET("/endless"));
      await waitFor(() => c.unread > 300_000, "part of the response");
      expect(f.proxy.counts("blue").inFlight).toBe(1);
      c.socket.destroy();
      await waitFor(() => appSawClose && f.proxy.counts("blue").inFlight === 0, "the app's response to close");
      const next = await f.client();
      next.write(GET("/"));
      expect((await next.next()).body.toString()).toBe("fine");
    },
  );

  it.each([
    ["content-length", "content-length: 1000000\r\n\r\n", "partial body"],
    ["chunked", "transfer-encoding: chunked\r\n\r\n186a0\r\n", "partial chunk"],
  ])(
    "closes the client's connection (not hangs) when the app crashes mid-response (%s)",
    async (_, headers, partial) => {
      f.use(
        await f.rawHttp(async ({ head }, socket) => {
          if (!head.startsWith("GET /crash "))
            return void socket.write("HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok");
          socket.write(`HTTP/1.1 200 OK\r\n${headers}${partial}`);
          await sleep(20);
          socket.resetAndDestroy();
        }),
      );
      const c = await f.client();
      c.write(GET("/crash"));
      await expect(c.next()).rejects.toThrow(/connection closed/);
      expect(f.proxy.counts("blue").inFlight).toBe(0);
      const next = await f.client();
      next.write(GET("/after"));
      expect((await next.next()).body.toString()).toBe("ok");
    },
  );

  it(
    "answers 502 with Retry-After when the app closes " + "without answering, answers garbage, or a head over 64 KiB",
    async () => {
      f.use(
        await f.rawHttp(({ head }, socket) => {
          if (head.startsWith("GET /garbage ")) socket.write("SSH-2.0-OpenSSH\r\n\r\n");
          else if (head.startsWith("GET /huge-head "))
            socket.write(`HTTP/1.1 200 OK\r\nx-big: ${"x".repeat(70_000)}\r\n`);
          else socket.destroy();
        }),
      );
      const cases = [
        ["/hangup", "other side closed"],
        ["/garbage", "does not match the HTTP/1.1 protocol"],
        ["/huge-head", "UND_ERR_HEADERS_OVERFLOW"],
      ];
      for (const [path, reason] of cases) {
        const c = await f.client();
        c.write(GET(path!));
        const r = await c.next();
        expect(r.status).toBe(502);
        expect(r.headers["retry-after"]).toBe("1");
        expect(r.body.toString()).toContain(reason);
      }
      expect(f.proxy.counts("blue").inFlight).toBe(0);
    },
  );

  it(
    "answers 502 with Retry-After when the app refuses " + "connections (HTTP/1.1 and 1.0), keeping the connection",
    async () => {
      f.use(await closedPort(), "green");
      const c = await f.client();
      c.write(GET("/refused"));
      const r = await c.next();
      expect(r.status).toBe(502);
      expect(r.headers["retry-after"]).toBe("1");
      expect(r.headers["x-cutover-slot"]).toBe("green");
      expect(r.body.toString()).toContain("ECONNREFUSED");
      c.write(GET("/refused-too", "1.0"));
      const old = await c.next();
      expect(old.status).toBe(502);
      expect(old.headers["retry-after"]).toBe("1");
      expect(f.proxy.counts("green").inFlight).toBe(0);
    },
  );
});

describe("ReverseProxy: unusual requests", () => {
  let seen = 0;
  beforeAll(async () => {
    // A raw app that accepts anything (Node as the app would itself answer 400 and 431) and echoes the head it got.
    f.proxy.setUpstream(
      "blue",
      await f.rawHttp(({ head }, socket) => {
        seen++;
        socket.write(
          `HTTP/1.1 200 OK\r\ncontent-length: ${Buffer.byteLength(head, "latin1")}\r\n\r\n${head}`,
          "latin1",
        );
      }),
    );
  });

  it("answers an HTTP/1.0 request, then closes", async () => {
    f.proxy.setLive("blue");
    const c = await f.client();
    c.write(GET("/old", "1.0"));
    const r = await c.next();
    expect(r.status).toBe(200);
    expect(r.headers["x-cutover-slot"]).toBe("blue");
    const got = r.body.toString("latin1");
    expect(got.startsWith("GET /old HTTP/1.1\r\n")).toBe(true);
    expect(got).toMatch(/\r\nx-forwarded-for: 127\.0\.0\.1\r\n/);
    expect(got).toMatch(/\r\nx-forwarded-host: shop\.example\r\n/);
    await c.closed;
  });

  it("answers, in order, an HTTP/1.0 request pipelined behind an HTTP/1.1 one", async () => {
    f.proxy.setLive("blue");
    const c = await f.client();
    c.write(`${GET("/fast")}${GET("/slow-path", "1.0")}`);
    expect((await c.next()).body.toString()).toMatch(/^GET \/fast HTTP\/1\.1\r\n/);
    expect((await c.next()).body.toString()).toMatch(/^GET \/slow-path HTTP\/1\.1\r\n/);
    await c.closed;
  });

  it.each([
    ["a malformed request line", "GARBAGE\r\n\r\n"],
    ["a header without a colon", "GET / HTTP/1.1\r\nHost: a\r\nNo colon\r\n\r\n"],
    ["a bare LF that could hide a header", "GET / HTTP/1.1\r\nHost: a\nTransfer-Encoding: chunked\r\n\r\n"],
    ["conflicting content-lengths", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab"],
    // RFC 9112 §6.3 lets a server refuse a repeated Content-Length even when the values agree; Node does.
    ["a repeated content-length", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc"],
  ])("answers 400 to %s, without the app seeing it", async (_, bytes) => {
    f.proxy.setLive("blue");
    const before = seen;
    const c = await f.client();
    c.write(bytes);
    expect((await c.next()).status).toBe(400);
    await c.closed;
    expect(seen).toBe(before);
  });

  it.each([
    ["in one write", 1],
    ["in pieces", 40],
  ])("answers 431 to a request head over 16 KiB sent %s, without the app seeing it", async (_, pieces) => {
    f.proxy.setLive("blue");
    const before = seen;
    const head = Buffer.from(`GET /big-head HTTP/1.1\r\nHost: a\r\nX-Big: ${"x".repeat(20_000)}\r\n\r\n`);
    const c = await f.client();
    const size = Math.ceil(head.length / pieces);
    for (let i = 0; i < head.length; i += size) {
      c.write(head.subarray(i, i + size));
      if (pieces > 1) await sleep(1);
    }
    expect((await c.next()).status).toBe(431);
    await c.closed;
    expect(seen).toBe(before);
  });
});

describe("ReverseProxy: routing pipelined requests", () => {
  it(
    "routes a request sent after a swap to the new slot, " +
      "though an earlier one on the connection is still on the old",
    async () => {
      let release!: () => void;
      const held = new Promise<void>((r) => (release = r));
      let blueGotFirst = false;
      f.proxy.setUpstream(
        "blue",
        await f.app((req, res) => {
          if (req.url !== "/first") return void res.end(`blue ${req.url}`);
          blueGotFirst = true;
          void held.then(() => res.end("blue /first"));
        }),
      );
      let greenAnswered = false;
      f.proxy.setUpstream(
        "green",
        await f.app((req, res) => {
          greenAnswered = true;
          res.end(`green ${req.url}`);
        }),
      );
      f.proxy.setLive("blue");
      const c = await f.client();
      c.write(GET("/first"));
      await waitFor(() => blueGotFirst, "blue to get /first");
      f.proxy.setLive("green");
      c.write(GET("/second"));
      // Green answers at once (the client gets the answers in order, so /second's waits behind /first's).
      await waitFor(() => greenAnswered && f.proxy.counts("green").inFlight === 0, "green to answer /second");
      expect(f.proxy.counts("blue").inFlight).toBe(1);
      const drained = f.proxy.waitDrained("blue", { writesOnly: false, timeoutMs: 10_000 });
      release();
      const [first, second] = [await c.next(), await c.next()];
      expect([first.body.toString(), second.body.toString()]).toEqual(["blue /first", "green /second"]);
      expect([first.headers["x-cutover-slot"], second.headers["x-cutover-slot"]]).toEqual(["blue", "green"]);
      expect((await drained).drained).toBe(true);
    },
  );

  it("routes pipelined requests when their heads are read, not when their turn to be answered comes", async () => {
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const seen: string[] = [];
    f.proxy.setUpstream(
      "blue",
      await f.app((req, res) => {
        seen.push(req.url!);
        void (req.url === "/first" ? held.then(() => res.end("blue /first")) : res.end(`blue ${req.url}`));
      }),
    );
    f.proxy.setLive("blue");
    const c = await f.client();
    c.write(`${GET("/first")}${GET("/queued")}`);
    // Both went to blue though /first is not answered yet; the app answered /queued at once.
    await waitFor(
      () => seen.length === 2 && f.proxy.counts("blue").inFlight === 1,
      "blue to get both and answer /queued",
    );
    f.proxy.setLive("green");
    const drained = f.proxy.waitDrained("blue", { writesOnly: false, timeoutMs: 10_000 });
    release();
    expect((await c.next()).body.toString()).toBe("blue /first");
    expect((await c.next()).body.toString()).toBe("blue /queued");
    expect((await drained).drained).toBe(true);
    expect(f.proxy.counts("blue").inFlight + f.proxy.counts("green").inFlight).toBe(0);
  });
});
