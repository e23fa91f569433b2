/**
 * One GET against a slot's own site (warm-up, bake): node:https so the
 * provider's extra CA applies, a per-request timeout, at most 64 KiB of body,
 * and failures returned as an answer (a cold slot is what we wait out).
 */
import { request } from "node:https";
import { request as httpRequest } from "node:http";
import { formatDuration } from "../playbook/duration.js";

export interface SiteAnswer {
  status?: number;
  body: string;
  error?: string;
  /** Time to the end of the answer (or the failure). */
  ms: number;
}

export function siteGet(
  url: string,
  ca: string | undefined,
  timeoutMs: number,
  signal: AbortSignal,
): Promise<SiteAnswer> {
  const started = performance.now();
  return new Promise((resolve) => {
    const u = new URL(url);
    const send = u.protocol === "http:" ? httpRequest : request;
    const req = send(
      u,
      { method: "GET", signal, timeout: timeoutMs, ...(u.protocol === "https:" && ca ? { ca } : {}) },
      (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (c: string) => {
          if (body.length < 64 * 1024) body += c;
        });
        res.on("end", () => resolve({ status: res.statusCode, body, ms: performance.now() - started }));
        res.on("error", (e) => resolve({ body, error: e.message, ms: performance.now() - started }));
      },
    );
    req.on("timeout", () => req.destroy(new Error(`no answer within ${formatDuration(timeoutMs)}`)));
    req.on("error", (e) => resolve({ body: "", error: e.message, ms: performance.now() - started }));
    req.end();
  });
}
