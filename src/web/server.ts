/**
 * `cutover serve`: a small HTTP server (node:http) for on-call. GET / and /runs/<id> serve the page; the page
 * reads /api/runs and /api/runs/<id> (polled) and posts decisions to /api/runs/<id>/decisions with the token in
 * the Authorization header. Security model: src/web/security.ts and docs/web.md.
 */
import http, { type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { CutoverError, ErrorCode, isCutoverError, toErrorInfo } from "../core/errors.js";
import type { RunStore } from "../core/run-store.js";
import { DecisionRequest, Decisions } from "./decisions.js";
import { APP_JS, PAGE_CSS, pageHtml } from "./page.js";
import { bearerToken, crossOrigin, hostHeaderAllowed, isLoopback, tokensEqual } from "./security.js";
import { RunReader } from "./views.js";

export interface ServeOptions {
  host: string;
  port: number;
  token: string;
  /** Bound beyond loopback (`--allow-remote`): reading the runs needs the token too. */
  allowRemote: boolean;
  store: RunStore;
  stateDir: string;
  playbook?: string;
  env: NodeJS.ProcessEnv;
  /** The name decisions are journaled under, as `web:<user>`. */
  user: string;
  log(line: string): void;
}

export interface RunningServer {
  url: string;
  decisions: Decisions;
  close(): Promise<void>;
}

const RUN_ID = /^[A-Za-z0-9._-]{1,200}$/;
const MAX_BODY = 16 * 1024;
const SECURITY_HEADERS = {
  "content-security-policy":
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; " +
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "cache-control": "no-store",
};

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly hint?: string,
  ) {
    super(message);
  }
}

export async function startServer(opts: ServeOptions): Promise<RunningServer> {
  const reader = new RunReader(opts.store, opts.env, opts.playbook);
  const decisions = new Decisions({ ...opts, log: opts.log });
  const loopbackOnly = isLoopback(opts.host);
  const authorized = (req: IncomingMessage) => {
    const given = bearerToken(req);
    return given !== undefined && tokensEqual(given, opts.token);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (!hostHeaderAllowed(req, loopbackOnly)) throw new HttpError(403, "this server answers to loopback names only");
    const url = new URL(req.url ?? "/", "http://serve.invalid");
    const path = url.pathname;
    if (req.method === "GET" && (path === "/" || /^\/runs\/[^/]+$/.test(path)))
      return send(res, 200, pageHtml(), "text/html");
    if (req.method === "GET" && path === "/app.js") return send(res, 200, APP_JS, "text/javascript");
    if (req.method === "GET" && path === "/app.css") return send(res, 200, PAGE_CSS, "text/css");
    if (req.method === "GET" && path === "/favicon.ico") return void res.writeHead(204, SECURITY_HEADERS).end();
    if (!path.startsWith("/api/")) throw new HttpError(404, `no page ${path}`);
    // Every API call: never from another origin, and with the token where it is needed.
    if (crossOrigin(req)) throw new HttpError(403, "requests from another origin are refused");
    const isWrite = req.method !== "GET";
    if ((isWrite || opts.allowRemote) && !authorized(req))
      throw new HttpError(401, "a valid token is needed (Authorization: Bearer <token>)");
    if (req.method === "POST" && path === "/api/token")
      return sendJson(res, 200, { ok: true, user: `web:${opts.user}` });
    if (req.method === "GET" && path === "/api/runs") return sendJson(res, 200, { environments: await reader.list() });
    const m = /^\/api\/runs\/([^/]+)(\/decisions)?$/.exec(path);
    if (!m || !RUN_ID.test(decodeURIComponent(m[1]!))) throw new HttpError(404, `no API ${path}`);
    const runId = decodeURIComponent(m[1]!);
    if (req.method === "GET" && !m[2]) {
      const view = await reader.view(runId);
      return sendJson(res, 200, { ...view, drive: decisions.report(runId) ?? null });
    }
    if (req.method === "POST" && m[2]) {
      if (!/^application\/json\b/i.test(req.headers["content-type"] ?? ""))
        throw new HttpError(415, "send the decision as application/json");
      const parsed = DecisionRequest.safeParse(await readJson(req));
      if (!parsed.success) {
        const problems = parsed.error.issues.map((i) => `${i.path.join(".") || "body"}: ${i.message}`);
        throw new HttpError(400, `invalid decision: ${problems.join("; ")}`);
      }
      const report = await decisions.take(runId, parsed.data);
      return sendJson(res, 202, report);
    }
    throw new HttpError(405, `${req.method} is not allowed on ${path}`);
  };

  const server = http.createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      const status = e instanceof HttpError ? e.status : statusFor(e);
      const info = e instanceof HttpError ? { code: "HTTP", message: e.message, hint: e.hint } : toErrorInfo(e);
      if (status >= 500) opts.log(`error on ${req.method} ${req.url?.split("?")[0]}: ${info.message}`);
      if (!res.headersSent)
        sendJson(res, status, { error: { code: info.code, message: info.message, hint: info.hint } });
      else res.end();
    });
  });
  // Slow or idle clients must not hold the process: bounded header and request times.
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", (e: NodeJS.ErrnoException) =>
      reject(
        new CutoverError(ErrorCode.Usage, `cannot listen on ${opts.host}:${opts.port}: ${e.code ?? e.message}`, {
          hint: e.code === "EADDRINUSE" ? "choose another --port (0 picks a free one)" : undefined,
        }),
      ),
    );
    server.listen(opts.port, opts.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const host = opts.host.includes(":") ? `[${opts.host}]` : opts.host;
  return {
    url: `http://${host}:${port}/`,
    decisions,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** The HTTP status of a library error: a run that cannot take the decision is a conflict, not a server fault. */
function statusFor(e: unknown): number {
  if (isCutoverError(e, ErrorCode.RunNotFound)) return 404;
  if (isCutoverError(e, ErrorCode.Usage)) return 400;
  if (isCutoverError(e)) return 409; // RUN_STATE, ENV_LOCKED, PLAYBOOK_CHANGED, data barriers...
  return 500;
}

function readJson(req: IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    let size = 0;
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        reject(new HttpError(413, `the body is over ${MAX_BODY} bytes`));
        req.destroy();
      } else chunks.push(c);
    });
    req.on("end", () => {
      try {
        resolve(JSON.parse(Buffer.concat(chunks).toString("utf8")));
      } catch {
        reject(new HttpError(400, "the body is not JSON"));
      }
    });
    req.on("error", reject);
  });
}

function send(res: ServerResponse, status: number, body: string, type: string): void {
  res.writeHead(status, { ...SECURITY_HEADERS, "content-type": `${type}; charset=utf-8` });
  res.end(body);
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  send(res, status, JSON.stringify(body), "application/json");
}
