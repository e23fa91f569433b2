/**
 * Shared by the local.* actions: the `target` and slot fields, and how a
 * relative slot name (`live`, `idle`) becomes blue or green.
 */
import http from "node:http";
import { z } from "zod";
import { LocalProxy, LocalSlots } from "../core/capabilities.js";
import type { LocalProxyClient, LocalSlotsClient } from "../core/local-environment.js";
import { otherSlot, type LocalStatus, type SlotName } from "../core/slots.js";
import type { ActionContext } from "../core/action.js";

const DEFAULT_TARGET = "app";

export const localTargetField = z
  .string()
  .min(1)
  .optional()
  .describe("The environment entry of the local environment (`provider: local`). Default: `app`.");

export const slotRefField = z
  .enum(["blue", "green", "live", "idle"])
  .describe(
    "A slot: `blue` or `green`, or relative to the slot that is live when the step first runs (`live`, `idle`).",
  );

export type SlotRef = z.infer<typeof slotRefField>;

export function resolveSlot(ref: SlotRef, status: LocalStatus): SlotName {
  if (ref === "live") return status.live;
  if (ref === "idle") return otherSlot(status.live);
  return ref;
}

/** The `provider` of local.deploy and local.stop, and how they reach it. */
export const slotsProvider = { capability: LocalSlots, defaultTarget: DEFAULT_TARGET };
export function localSlots(
  ctx: Pick<ActionContext, "provider">,
  target: string | undefined,
): Promise<LocalSlotsClient> {
  return ctx.provider(target ?? DEFAULT_TARGET, LocalSlots);
}

/** The `provider` of local.swap and local.drain, and how they reach it. */
export const proxyProvider = { capability: LocalProxy, defaultTarget: DEFAULT_TARGET };
export function localProxy(
  ctx: Pick<ActionContext, "provider">,
  target: string | undefined,
): Promise<LocalProxyClient> {
  return ctx.provider(target ?? DEFAULT_TARGET, LocalProxy);
}

/** One GET for verifications: status, the proxy's x-cutover-slot header, the start of the body. Never throws. */
export type Got = { ok: true; status: number; slot?: string; body: string } | { ok: false; error: string };

export function probe(url: string, signal: AbortSignal): Promise<Got> {
  return new Promise((resolve) => {
    const req = http.get(url, { agent: false, timeout: 5000, signal }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => {
        if (body.length < 4096) body += c;
      });
      res.on("end", () => {
        const status = res.statusCode ?? 0;
        const slot = res.headers["x-cutover-slot"];
        if (status >= 200 && status < 300)
          resolve({ ok: true, status, slot: typeof slot === "string" ? slot : undefined, body });
        else resolve({ ok: false, error: `HTTP ${status} ${body.slice(0, 200)}` });
      });
      res.on("error", (e) => resolve({ ok: false, error: e.message }));
    });
    req.on("timeout", () => req.destroy(new Error("timed out")));
    req.on("error", (e) => resolve({ ok: false, error: e.message }));
  });
}
