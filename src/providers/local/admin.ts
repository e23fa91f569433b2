/**
 * The supervisor's admin API (loopback only). Every route needs
 * `Authorization: Bearer <token>` with the token from `<dir>/admin.token`
 * (0600); apps use a separate token that only reads flags.
 *
 *   GET    /v1/status
 *   PUT    /v1/slots/:slot            { spec }                   deploy (idempotent)
 *   POST   /v1/slots/:slot/revive     { version }                run that version again (idempotent)
 *   DELETE /v1/slots/:slot?drainTimeoutMs&killAfterMs            stop (idempotent)
 *   PUT    /v1/live                   { slot, ifLive? }          switch (idempotent)
 *   PUT    /v1/weights                { weights: {blue, green} } weighted routing (idempotent)
 *   GET    /v1/drain?slot&writesOnly&timeoutMs                   long-poll until drained
 *   GET    /v1/flags/:name            → { value, etag }
 *   PUT    /v1/flags/:name            { value, ifEtag? }
 *   DELETE /v1/flags/:name?ifEtag
 *   GET    /v1/app-flags?since&waitMs&slot&pid                   apps' long-poll (apps token)
 *   POST   /v1/shutdown
 */
import crypto from "node:crypto";
import type http from "node:http";
import type { Json } from "../../core/json.js";
import { FlagConflict } from "./flags.js";
import { SlotStartError } from "./slots.js";
import { Refused, type Supervisor } from "./supervisor.js";
import { FENCE_ENVIRONMENT_HEADER, FENCE_TOKEN_HEADER } from "./admin-client.js";
import { FenceBook } from "./fences.js";
import { isSlotName, type AppSpec, type SlotName } from "../../core/slots.js";

const MAX_BODY = 1024 * 1024;

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export function handleAdmin(sup: Supervisor, req: http.IncomingMessage, res: http.ServerResponse): void {
  route(sup, req, res).catch((e: unknown) => {
    const status =
      e instanceof HttpError
        ? e.status
        : e instanceof Refused || e instanceof FlagConflict
          ? 409
          : e instanceof SlotStartError
            ? 422
            : 500;
    send(res, status, { error: (e as Error).message });
  });
}

async function route(sup: Supervisor, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  const url = new URL(req.url ?? "/", "http://localhost");
  const parts = url.pathname.split("/").filter(Boolean);
  const method = req.method ?? "GET";
  const q = (k: string) => url.searchParams.get(k) ?? undefined;

  if (parts[0] !== "v1") throw new HttpError(404, "not found");
  const token = bearer(req);
  if (parts[1] === "app-flags" && method === "GET") {
    if (!sameSecret(token, sup.appsToken) && !sameSecret(token, sup.adminToken)) throw new HttpError(401, "bad token");
    const slot = q("slot");
    const pid = Number(q("pid") ?? 0);
    const since = Number(q("since") ?? -1);
    const waitMs = Math.min(Number(q("waitMs") ?? 25_000), 60_000);
    const cancel = sup.flags.poll(isSlotName(slot) ? slot : undefined, pid || undefined, since, waitMs, (body) =>
      send(res, 200, body),
    );
    res.on("close", cancel);
    return;
  }
  if (!sameSecret(token, sup.adminToken)) throw new HttpError(401, "missing or bad admin token");
  if (method !== "GET") await admitFence(sup, req);

  switch (`${method} ${parts[1] ?? ""}`) {
    case "GET status":
      return send(res, 200, sup.status());
    case "PUT slots": {
      const slot = slotParam(parts[2]);
      const body = (await readJson(req)) as { spec?: AppSpec };
      if (!body.spec) throw new HttpError(400, "spec required");
      const ac = abortOnClose(req, res);
      const out = await sup.deploy(slot, body.spec, ac.signal);
      return send(res, 200, { ...out, status: sup.status().slots[slot] });
    }
    case "POST slots": {
      const slot = slotParam(parts[2]);
      if (parts[3] !== "revive") throw new HttpError(404, "not found");
      const body = (await readJson(req)) as { version?: string };
      if (!body.version) throw new HttpError(400, "version required");
      const out = await sup.revive(slot, body.version, abortOnClose(req, res).signal);
      return send(res, 200, { ...out, status: sup.status().slots[slot] });
    }
    case "DELETE slots": {
      const slot = slotParam(parts[2]);
      const out = await sup.stop(slot, {
        drainTimeoutMs: num(q("drainTimeoutMs"), 30_000),
        killAfterMs: num(q("killAfterMs"), 10_000),
      });
      return send(res, 200, out);
    }
    case "PUT live": {
      const body = (await readJson(req)) as { slot?: string; ifLive?: string };
      const slot = slotParam(body.slot);
      const ifLive = body.ifLive === undefined ? undefined : slotParam(body.ifLive);
      return send(res, 200, await sup.setLive(slot, ifLive));
    }
    case "PUT weights": {
      const body = (await readJson(req)) as { weights?: Record<string, unknown> };
      const w = body.weights ?? {};
      if (Object.keys(w).some((k) => !isSlotName(k)) || Object.values(w).some((v) => typeof v !== "number"))
        throw new HttpError(400, "weights must map blue/green to numbers");
      return send(res, 200, await sup.setWeights(w as Partial<Record<SlotName, number>>));
    }
    case "GET drain": {
      const slot = slotParam(q("slot"));
      const ac = abortOnClose(req, res);
      const out = await sup.proxy.waitDrained(slot, {
        writesOnly: q("writesOnly") === "true",
        timeoutMs: num(q("timeoutMs"), 60_000),
        signal: ac.signal,
      });
      return send(res, 200, out);
    }
    case "GET flags": {
      const pending = await sup.flagsApplied();
      if (pending.length)
        throw new HttpError(503, `slot ${pending.join(", ")} has not applied flag revision ${sup.flags.revision} yet`);
      const rec = sup.flags.get(flagName(parts[2]));
      return send(res, 200, rec ? { exists: true, value: rec.value, etag: String(rec.rev) } : { exists: false });
    }
    case "PUT flags": {
      const body = (await readJson(req)) as { value?: Json; ifEtag?: string };
      if (body.value === undefined) throw new HttpError(400, "value required");
      return send(res, 200, await sup.setFlag(flagName(parts[2]), body.value, body.ifEtag));
    }
    case "DELETE flags":
      return send(res, 200, await sup.setFlag(flagName(parts[2]), undefined, q("ifEtag")));
    case "POST shutdown":
      send(res, 202, { stopping: true });
      // Stop after the answer is out; the process exits when shutdown completes.
      setImmediate(() => void sup.shutdown().finally(() => process.exit(0)));
      return;
    default:
      throw new HttpError(404, `no route ${method} ${url.pathname}`);
  }
}

const fenceBooks = new WeakMap<Supervisor, FenceBook>();

/** A change sent with a lease token lower than one already seen for that environment is refused (409). */
async function admitFence(sup: Supervisor, req: http.IncomingMessage): Promise<void> {
  const environment = req.headers[FENCE_ENVIRONMENT_HEADER];
  const token = req.headers[FENCE_TOKEN_HEADER];
  if (typeof environment !== "string" || typeof token !== "string") return;
  const n = Number(token);
  if (!Number.isSafeInteger(n) || n < 0) throw new HttpError(400, `bad fencing token ${token}`);
  let book = fenceBooks.get(sup);
  if (!book) fenceBooks.set(sup, (book = new FenceBook(sup.dir)));
  await book.admit(environment, n);
}

function bearer(req: http.IncomingMessage): string {
  const h = req.headers.authorization ?? "";
  return h.startsWith("Bearer ") ? h.slice(7).trim() : "";
}

/** Constant-time comparison, so the token cannot be guessed byte by byte from timings. */
function sameSecret(a: string, b: string): boolean {
  const x = crypto.createHash("sha256").update(a).digest();
  const y = crypto.createHash("sha256").update(b).digest();
  return a.length > 0 && crypto.timingSafeEqual(x, y);
}

function slotParam(v: string | undefined): SlotName {
  if (!isSlotName(v)) throw new HttpError(400, `slot must be blue or green, got ${String(v)}`);
  return v;
}

function flagName(v: string | undefined): string {
  const name = decodeURIComponent(v ?? "");
  // `Name@<slot>` is that slot's own value of Name (see flags.ts).
  if (!/^[A-Za-z0-9_.:-]{1,200}(@(blue|green))?$/.test(name)) throw new HttpError(400, `bad flag name ${name}`);
  return name;
}

function num(v: string | undefined, dflt: number): number {
  const n = Number(v);
  return v !== undefined && Number.isFinite(n) && n >= 0 ? n : dflt;
}

function abortOnClose(req: http.IncomingMessage, res: http.ServerResponse): AbortController {
  const ac = new AbortController();
  res.on("close", () => {
    if (!res.writableFinished) ac.abort();
  });
  void req;
  return ac;
}

function readJson(req: http.IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) reject(new HttpError(413, "body too large"));
      else chunks.push(c);
    });
    req.on("end", () => {
      try {
        resolve(chunks.length ? JSON.parse(Buffer.concat(chunks).toString("utf8")) : {});
      } catch {
        reject(new HttpError(400, "invalid JSON"));
      }
    });
    req.on("error", reject);
  });
}

function send(res: http.ServerResponse, status: number, body: unknown): void {
  if (res.headersSent || res.destroyed) return;
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
}
