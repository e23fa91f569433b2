/**
 * The checking actions' HTTP client (src/actions/support/http-request.ts) over real sockets: compressed bodies
 * are decoded, a string body goes as text, configured headers arrive once per name, and a request does not
 * load Node's bundled undici (global fetch), whose first load is on a release's critical path.
 */
import { spawnSync } from "node:child_process";
import http from "node:http";
import path from "node:path";
import zlib from "node:zlib";
import { afterEach, describe, expect, it } from "vitest";
import { httpRequest } from "../../src/actions/support/http-request.js";
import { ensureBuilt } from "../local/env.js";

let server: http.Server | undefined;
afterEach(async () => {
  await new Promise((r) => (server ? server.close(r) : r(undefined)));
  server = undefined;
});

/** A server that answers every request with `answer(req, body)`; returns its base URL. */
async function serve(answer: (req: http.IncomingMessage, body: string, res: http.ServerResponse) => void) {
  server = http.createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString()));
    req.on("end", () => answer(req, body, res));
  });
  await new Promise<void>((r) => server!.listen(0, "127.0.0.1", r));
  return `http://127.0.0.1:${(server.address() as { port: number }).port}`;
}

const request = (url: string, extra: Partial<Parameters<typeof httpRequest>[0]> = {}) =>
  httpRequest({ url, method: "GET", timeoutMs: 5000, signal: new AbortController().signal, ...extra });

describe("the checking actions' HTTP client", () => {
  it.each(["gzip", "deflate", "br"] as const)("decodes a %s body the server sent unasked", async (encoding) => {
    const compress = { gzip: zlib.gzipSync, deflate: zlib.deflateSync, br: zlib.brotliCompressSync }[encoding];
    const url = await serve((_req, _body, res) => {
      res.writeHead(200, { "content-type": "application/json", "content-encoding": encoding });
      res.end(compress(JSON.stringify({ version: "v2", padding: "x".repeat(5000) })));
    });
    const out = await request(url);
    expect(out.ok && out.json).toMatchObject({ version: "v2" });
  });

  it("sends a string body as text and a JSON body as JSON, with one value per configured header", async () => {
    const seen: { type?: string; body: string; key?: string }[] = [];
    const url = await serve((req, body, res) => {
      seen.push({ type: req.headers["content-type"], body, key: req.headers["x-api-key"] as string | undefined });
      res.end("ok");
    });
    await request(url, { method: "POST", body: "plain", headers: { "X-Api-Key": "k1" } });
    await request(url, { method: "POST", body: { a: 1 } });
    expect(seen).toEqual([
      { type: "text/plain;charset=UTF-8", body: "plain", key: "k1" },
      { type: "application/json", body: '{"a":1}', key: undefined },
    ]);
  });

  it("does not load Node's bundled undici (global fetch) to make a request", () => {
    ensureBuilt();
    const module = path.resolve("dist/src/actions/support/http-request.js");
    const script = `
      import http from "node:http";
      import { httpRequest } from ${JSON.stringify(module)};
      const server = http.createServer((req, res) => res.end('{"ok":true}')).listen(0, "127.0.0.1", async () => {
        const out = await httpRequest({ url: "http://127.0.0.1:" + server.address().port, method: "GET",
          timeoutMs: 5000, signal: new AbortController().signal });
        server.close();
        console.log(JSON.stringify({ ok: out.ok, undici: process.moduleLoadList.some((m) => m.includes("undici")) }));
      });`;
    const run = spawnSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8" });
    expect(run.stderr).toBe("");
    expect(JSON.parse(run.stdout)).toEqual({ ok: true, undici: false });
  });
});
