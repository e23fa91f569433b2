/**
 * The reverse proxy in-process, against small upstreams: per-request routing
 * on one keep-alive connection, header handling, in-flight counts, the
 * answer when the live slot has no process, what is (GET) and is not (POST)
 * sent again when the app resets the connection, and Upgrade tunnels.
 */
import http from "node:http";
import type net from "node:net";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ReverseProxy } from "../../src/providers/local/proxy.js";

const servers: http.Server[] = [];
let proxy: ReverseProxy;
let base: string;

async function listen(server: http.Server): Promise<number> {
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return (server.address() as AddressInfo).port;
}

/** Answers with its name and the request headers it got. */
function echo(name: string): http.Server {
  return http.createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      const body = JSON.stringify({ name, headers: req.headers, method: req.method });
      res.writeHead(200, { "content-type": "application/json", "keep-alive": "timeout=5", "x-app": name });
      res.end(body);
    });
  });
}

beforeAll(async () => {
  proxy = new ReverseProxy("blue");
  proxy.setUpstream("blue", await listen(echo("blue")));
  proxy.setUpstream("green", await listen(echo("green")));
  await new Promise<void>((r) => proxy.server.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${(proxy.server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await proxy.close();
  for (const s of servers) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});

function get(
  agent: http.Agent,
  path = "/",
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string; reused: boolean }> {
  return new Promise((resolve, reject) => {
    const req = http.get(`${base}${path}`, { agent, headers }, (res) => {
      let body = "";
      res.on("data", (c: Buffer) => (body += c.toString()));
      res.on("end", () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body, reused: req.reusedSocket }),
      );
    });
    req.on("error", reject);
  });
}

describe("ReverseProxy", () => {
  it("routes each request on one keep-alive connection to the slot live at that moment", async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const a = await get(agent);
    proxy.setLive("green");
    const b = await get(agent);
    proxy.setLive("blue");
    const c = await get(agent);
    agent.destroy();
    expect([a, b, c].map((r) => JSON.parse(r.body).name)).toEqual(["blue", "green", "blue"]);
    expect([a, b, c].map((r) => r.headers["x-cutover-slot"])).toEqual(["blue", "green", "blue"]);
    expect(b.reused && c.reused).toBe(true);
  });

  it("forwards the client's headers with X-Forwarded-*, and drops hop-by-hop ones both ways", async () => {
    const agent = new http.Agent({ keepAlive: true });
    const r = await get(agent, "/x?y=1", {
      "x-forwarded-for": "10.0.0.1",
      "x-custom": "kept",
      "proxy-connection": "keep-alive",
      host: "shop.example",
    });
    agent.destroy();
    const seen = JSON.parse(r.body) as { headers: Record<string, string> };
    expect(seen.headers).toMatchObject({
      host: "shop.example",
      "x-custom": "kept",
      "x-forwarded-for": "10.0.0.1, 127.0.0.1",
      "x-forwarded-host": "shop.example",
      "x-forwarded-proto": "http",
    });
    expect(seen.headers["proxy-connection"]).toBeUndefined();
    expect(r.headers["x-app"]).toBe("blue");
    // The app's keep-alive hint is about its connection to the proxy, not the client's.
    expect(r.headers["keep-alive"]).not.toBe("timeout=5");
  });

  it("counts requests in flight per slot, and separates writes", async () => {
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const slow = http.createServer((req, res) => {
      req.resume();
      void held.then(() => res.end("done"));
    });
    proxy.setUpstream("green", await listen(slow));
    proxy.setLive("green");
    const post = fetch(`${base}/w`, { method: "POST", body: "x" });
    const read = fetch(`${base}/r`);
    while (proxy.counts("green").inFlight < 2) await new Promise((r) => setTimeout(r, 5));
    expect(proxy.counts("green")).toEqual({ inFlight: 2, inFlightWrites: 1 });
    const drained = proxy.waitDrained("green", { writesOnly: true, timeoutMs: 5000 });
    release();
    expect((await drained).drained).toBe(true);
    await Promise.all([post, read]);
    expect(proxy.counts("green")).toEqual({ inFlight: 0, inFlightWrites: 0 });
    proxy.setLive("blue");
  });

  it("answers 503 with Retry-After when the live slot has no process", async () => {
    proxy.setUpstream("green", undefined);
    proxy.setLive("green");
    const res = await fetch(base);
    proxy.setLive("blue");
    expect(res.status).toBe(503);
    expect(res.headers.get("retry-after")).toBe("1");
  });

  /**
   * An app that answers `/warm` with keep-alive, and resets the connection after
   * reading the whole of any other request: `times` counts what reached it.
   */
  async function resettingApp(times: Map<string, number>): Promise<number> {
    const app = http.createServer((req, res) => {
      req.resume();
      req.on("end", () => {
        if (req.url === "/warm") return void res.end("warm");
        const key = `${req.method} ${req.url}`;
        times.set(key, (times.get(key) ?? 0) + 1);
        // The second GET of /flaky is answered: a retried idempotent request succeeds.
        if (key === "GET /flaky" && times.get(key)! > 1) return void res.end("ok");
        req.socket.resetAndDestroy();
      });
    });
    return listen(app);
  }

  /** Two requests on the proxy's pooled upstream connection: `/warm`, then `method path` with `body`. */
  async function afterWarm(method: string, path: string, body?: string, chunked = false) {
    const headers: Record<string, string> = chunked ? { "transfer-encoding": "chunked" } : {};
    const send = (m: string, p: string, b?: string) =>
      new Promise<{ status: number; retryAfter: string | undefined }>((resolve, reject) => {
        const req = http.request(`${base}${p}`, { method: m, headers, agent: false }, (res) => {
          res.resume();
          res.on("end", () =>
            resolve({ status: res.statusCode ?? 0, retryAfter: res.headers["retry-after"] as string | undefined }),
          );
        });
        req.on("error", reject);
        req.end(b);
      });
    const warm = await send(method === "GET" ? "GET" : method, "/warm", body);
    expect(warm.status).toBe(200);
    return send(method, path, body);
  }

  it.each([
    ["with content-length", false],
    ["chunked", true],
  ])(
    "never sends a POST (%s) to the app twice when the app resets the connection after reading it (RFC 9110 §9.2.2)",
    async (_, chunked) => {
      const times = new Map<string, number>();
      proxy.setUpstream("green", await resettingApp(times));
      proxy.setLive("green");
      try {
        const r = await afterWarm("POST", "/pay", "charge the card", chunked);
        expect(r.status).toBe(502);
        expect(r.retryAfter).toBe("1");
        expect(times.get("POST /pay")).toBe(1);
        expect(proxy.counts("green")).toEqual({ inFlight: 0, inFlightWrites: 0 });
      } finally {
        proxy.setLive("blue");
      }
    },
  );

  it("sends an idempotent GET once more, on a new connection, when the app resets it before answering", async () => {
    const times = new Map<string, number>();
    proxy.setUpstream("green", await resettingApp(times));
    proxy.setLive("green");
    try {
      const r = await afterWarm("GET", "/flaky");
      expect(r.status).toBe(200);
      expect(times.get("GET /flaky")).toBe(2);
    } finally {
      proxy.setLive("blue");
    }
  });

  it(
    "tunnels an Upgrade (WebSocket) connection to the slot " + "live when it opened, counted in flight until it closes",
    async () => {
      const ws = http.createServer();
      ws.on("upgrade", (req, socket) => {
        socket.write("HTTP/1.1 101 Switching Protocols\r\nupgrade: echo\r\nconnection: Upgrade\r\n\r\n");
        socket.on("data", (d: Buffer) => socket.write(`${req.headers["x-forwarded-proto"]}:${d.toString()}`));
        socket.on("end", () => socket.end());
      });
      proxy.setUpstream("green", await listen(ws));
      proxy.setLive("green");
      const socket = await new Promise<net.Socket>((resolve, reject) => {
        const req = http.request(base, { headers: { connection: "Upgrade", upgrade: "echo" } });
        req.on("upgrade", (res, sock) =>
          res.statusCode === 101 ? resolve(sock) : reject(new Error(String(res.statusCode))),
        );
        req.on("error", reject);
        req.end();
      });
      proxy.setLive("blue");
      expect(proxy.counts("green").inFlight).toBe(1);
      const echoed = new Promise<string>((r) => socket.once("data", (d: Buffer) => r(d.toString())));
      socket.write("ping");
      expect(await echoed).toBe("http:ping");
      const drained = proxy.waitDrained("green", { writesOnly: false, timeoutMs: 5000 });
      socket.end();
      expect((await drained).drained).toBe(true);
      expect(proxy.counts("green").inFlight).toBe(0);
    },
  );

  it("replaces client-sent X-Forwarded-* headers on an Upgrade request, as on a plain one", async () => {
    let seen: string[] = [];
    const ws = http.createServer();
    ws.on("upgrade", (req, socket) => {
      seen = req.rawHeaders;
      socket.end("HTTP/1.1 101 Switching Protocols\r\nupgrade: echo\r\nconnection: Upgrade\r\n\r\n");
    });
    proxy.setUpstream("green", await listen(ws));
    proxy.setLive("green");
    try {
      const status = await new Promise<number>((resolve, reject) => {
        const req = http.request(base, {
          headers: {
            connection: "Upgrade",
            upgrade: "echo",
            host: "shop.example",
            "x-forwarded-for": "10.0.0.1",
            "x-forwarded-host": "evil.example",
            "x-forwarded-proto": "https",
          },
        });
        req.on("upgrade", (res, sock) => {
          sock.destroy();
          resolve(res.statusCode ?? 0);
        });
        req.on("error", reject);
        req.end();
      });
      expect(status).toBe(101);
    } finally {
      proxy.setLive("blue");
    }
    const forwarded: string[] = [];
    for (let i = 0; i < seen.length; i += 2)
      if (seen[i]!.toLowerCase().startsWith("x-forwarded-"))
        forwarded.push(`${seen[i]!.toLowerCase()}: ${seen[i + 1]}`);
    expect(forwarded.sort()).toEqual([
      "x-forwarded-for: 10.0.0.1, 127.0.0.1",
      "x-forwarded-host: shop.example",
      "x-forwarded-proto: http",
    ]);
  });
});
