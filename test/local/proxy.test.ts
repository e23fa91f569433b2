/**
 * The reverse proxy in-process, against small upstreams: per-request routing
 * on one keep-alive connection, header handling, in-flight counts, the
 * answer when the live slot has no process, and the replay of a request
 * that met an upstream socket closed under it.
 */
import http from "node:http";
import net, { type AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ReverseProxy } from "../../src/providers/local/proxy.js";

const servers: http.Server[] = [];
const rawServers: net.Server[] = [];
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
  for (const s of rawServers) await new Promise((r) => s.close(r));
});

function get(agent: http.Agent, path = "/", headers: Record<string, string> = {}): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string; reused: boolean }> {
  return new Promise((resolve, reject) => {
    const req = http.get(`${base}${path}`, { agent, headers }, (res) => {
      let body = "";
      res.on("data", (c: Buffer) => (body += c.toString()));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body, reused: req.reusedSocket }));
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
    const r = await get(agent, "/x?y=1", { "x-forwarded-for": "10.0.0.1", "x-custom": "kept", "proxy-connection": "keep-alive", host: "shop.example" });
    agent.destroy();
    const seen = JSON.parse(r.body) as { headers: Record<string, string> };
    expect(seen.headers).toMatchObject({ host: "shop.example", "x-custom": "kept", "x-forwarded-for": "10.0.0.1, 127.0.0.1", "x-forwarded-host": "shop.example", "x-forwarded-proto": "http" });
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

  it("replays, once and on a new connection, a request that met a pooled upstream socket being closed", async () => {
    // An upstream that answers the first request of each connection with keep-alive,
    // and resets the connection when a second request arrives on it (an idle close racing reuse).
    let connections = 0;
    const rude = net.createServer((socket) => {
      connections++;
      let requests = 0;
      socket.on("data", (d: Buffer) => {
        if (!d.toString().includes("\r\n\r\n")) return;
        requests++;
        if (requests === 1) socket.write("HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: keep-alive\r\n\r\nok");
        else socket.resetAndDestroy();
      });
      socket.on("error", () => undefined);
    });
    rawServers.push(rude);
    await new Promise<void>((r) => rude.listen(0, "127.0.0.1", r));
    proxy.setUpstream("green", (rude.address() as AddressInfo).port);
    proxy.setLive("green");
    const first = await fetch(`${base}/a`);
    expect(first.status).toBe(200);
    await first.text();
    const second = await fetch(`${base}/b`, { method: "POST", body: "payload" });
    proxy.setLive("blue");
    expect(second.status).toBe(200);
    expect(await second.text()).toBe("ok");
    expect(connections).toBe(2);
  });
  it("tunnels an Upgrade (WebSocket) connection to the slot live when it opened, counted in flight until it closes", async () => {
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
      req.on("upgrade", (res, sock) => (res.statusCode === 101 ? resolve(sock) : reject(new Error(String(res.statusCode)))));
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
  });
});
