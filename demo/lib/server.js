// The HTTP shell both demo versions share: /health, /version, JSON helpers, the
// maintenance gate (read-only mode) and a graceful stop on SIGTERM.
import http from "node:http";
import { watchFlags, isOn } from "./flags.js";

const RETRY_AFTER_S = 5;
const MAX_BODY = 64 * 1024;

/**
 * @param {{ version: string, schema: () => number, health?: () => object, routes: Record<string, (req, body) => {status:number, body:unknown}> }} app
 * Route keys are "METHOD /path". Methods other than GET/HEAD are writes. `health` adds fields to /health.
 */
export function serve(app, env = process.env) {
  const flags = watchFlags(env);
  const slot = env.CUTOVER_SLOT ?? "";

  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    const isWrite = req.method !== "GET" && req.method !== "HEAD";
    const maintenance = isOn(flags.get("MaintenanceMode"));
    try {
      if (url.pathname === "/health") {
        return send(res, 200, {
          status: "ok",
          version: app.version,
          slot,
          schema: app.schema(),
          maintenance,
          flagsRev: flags.rev,
          ...(app.health ? app.health() : {}),
        });
      }
      if (url.pathname === "/version") return send(res, 200, { version: app.version, slot });
      const route = app.routes[`${req.method} ${url.pathname}`];
      if (!route) return send(res, 404, { error: "not found" });
      const body = isWrite ? await readJson(req) : undefined;
      // Read-only mode: refuse writes with a hint to retry, keep serving reads.
      if (isWrite && maintenance) {
        res.setHeader("retry-after", String(RETRY_AFTER_S));
        return send(res, 503, { error: "maintenance", message: "The site is in maintenance: read-only for a moment." });
      }
      // ?delayMs=N holds the request (after the maintenance gate: an accepted write in progress),
      // so drains and swaps can be shown with requests in flight.
      const delay = Math.min(Number(url.searchParams.get("delayMs") ?? 0) || 0, 30_000);
      if (delay > 0) await new Promise((r) => setTimeout(r, delay));
      const out = await route(req, body, url);
      return send(res, out.status, out.body);
    } catch (e) {
      return send(res, e.status ?? 500, { error: e.message });
    }
  });
  // Longer than the proxy's upstream keep-alive idle time, so the proxy closes idle sockets first.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;

  const port = Number(env.PORT ?? 0);
  server.listen(port, "127.0.0.1", () => {
    const address = server.address();
    console.log(`demo ${app.version} (${slot || "no slot"}) listening on 127.0.0.1:${address.port}`);
  });

  // Graceful stop: finish in-flight requests, close idle keep-alive sockets, exit.
  const stop = () => {
    flags.stop();
    server.close(() => process.exit(0));
    server.closeIdleConnections();
    setTimeout(() => process.exit(0), 10_000).unref();
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
  return server;
}

function send(res, status, body) {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

function readJson(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    req.on("data", (c) => {
      size += c.length;
      if (size > MAX_BODY) return reject(Object.assign(new Error("body too large"), { status: 413 }));
      chunks.push(c);
    });
    req.on("end", () => {
      const text = Buffer.concat(chunks).toString("utf8");
      if (!text) return resolve({});
      try {
        resolve(JSON.parse(text));
      } catch {
        reject(Object.assign(new Error("invalid JSON"), { status: 400 }));
      }
    });
    req.on("error", reject);
  });
}

export function httpError(status, message) {
  return Object.assign(new Error(message), { status });
}
