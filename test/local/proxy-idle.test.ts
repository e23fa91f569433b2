/**
 * Idle connections, with the proxy's limits shortened: it closes an idle
 * upstream connection before the app would (so it never reuses one the app is
 * closing), closes a client connection idle too long, and never closes one
 * whose request is still being answered.
 */
import http from "node:http";
import type net from "node:net";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ProxyFixture, sleep, waitFor } from "./proxy-fixtures.js";

const f = new ProxyFixture();
let app: http.Server;
let opened = 0;
let closed = 0;

beforeAll(async () => {
  await f.start({ clientIdleMs: 400, upstreamIdleMs: 150 });
  app = http.createServer((req, res) => {
    const hold = Number(new URL(req.url ?? "/", "http://x").searchParams.get("holdMs") ?? 0);
    setTimeout(() => res.end("ok"), hold);
  });
  // The app's own keep-alive timeout is far longer: any close seen here is the proxy's.
  app.keepAliveTimeout = 60_000;
  app.on("connection", (s: net.Socket) => {
    opened++;
    s.once("close", () => closed++);
  });
  await new Promise<void>((r) => app.listen(0, "127.0.0.1", r));
  f.use((app.address() as AddressInfo).port);
});
afterAll(async () => {
  await f.close();
  app.closeAllConnections();
  await new Promise((r) => app.close(r));
});

const get = (path: string) => `GET ${path} HTTP/1.1\r\nhost: shop\r\n\r\n`;

describe("idle connections", () => {
  it("closes an idle upstream connection itself, and the next request opens a new one", async () => {
    const client = await f.client();
    client.socket.write(get("/"));
    expect((await client.next()).status).toBe(200);
    expect(opened - closed).toBe(1);
    await waitFor(() => closed === opened, "the proxy to close its idle upstream connection");
    const again = await f.client();
    again.socket.write(get("/"));
    expect((await again.next()).status).toBe(200);
    expect(opened).toBe(2);
  });

  it("closes a client connection idle past its limit", async () => {
    const client = await f.client();
    client.socket.write(get("/"));
    expect((await client.next()).status).toBe(200);
    await client.closed;
    expect(client.ended).toBe(true);
  });

  it("keeps a client connection whose request takes longer than the idle limit, and answers it", async () => {
    const client = await f.client();
    client.socket.write(get("/?holdMs=900"));
    const res = await client.next();
    expect(res.status).toBe(200);
    expect(res.body.toString()).toBe("ok");
    // Still open right after the answer: the idle clock starts when the exchange ends.
    await sleep(50);
    expect(client.ended).toBe(false);
  });
});
