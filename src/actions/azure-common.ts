/**
 * Shared pieces of the `azure.*` actions: the fields every slot action takes,
 * reaching the App Service client, waiting for a swap to land, and keeping
 * secret-looking setting values out of the journal.
 */
import { createHash } from "node:crypto";
import { z } from "zod";
import { CutoverError, ErrorCode } from "../core/errors.js";
import { AppService } from "../providers/azure/appservice-provider.js";
import type { AppServiceSlots } from "../providers/azure/appservice-client.js";
import { PRODUCTION, type SlotInfo } from "../providers/azure/appservice-types.js";
import type { ActionContext, ActionFence } from "../core/action.js";
import { sleep } from "./support/abort.js";

const DEFAULT_APPSERVICE_TARGET = "app";

/** The `provider` of every azure.* slot action. */
export const appserviceProvider = { capability: AppService, defaultTarget: DEFAULT_APPSERVICE_TARGET };

export const appserviceTargetField = z
  .string()
  .default(DEFAULT_APPSERVICE_TARGET)
  .describe("The environment entry of the web app(s) (a provider of kind azure-appservice).");
export const appField = z
  .string()
  .min(1)
  .optional()
  .describe("The web app; defaults to the environment entry's `app`. In a matrix step: `${{ matrix.app }}`.");
export const slotField = z
  .string()
  .min(1)
  .optional()
  .describe("The deployment slot; defaults to the environment entry's `slot` (usually `staging`).");
export const targetSlotField = z
  .string()
  .min(1)
  .default(PRODUCTION)
  .describe("The slot to swap with (default `production`).");

/**
 * The App Service methods that change a slot: ARM cannot check cutover's fencing token, so each re-checks the lease.
 */
const ARM_WRITES = new Set<string>([
  "replaceAppSettings",
  "setLinuxFxVersion",
  "power",
  "applySlotConfig",
  "resetSlotConfig",
]);

async function appservice(ctx: Pick<ActionContext, "provider" | "fence">, target: string): Promise<AppServiceSlots> {
  const client = await ctx.provider(target, AppService);
  return ctx.fence ? fencedArm(client, ctx.fence) : client;
}

/**
 * A client whose slot writes first ask the state store whether this run still holds the environment's lease
 * (docs/design.md invariant 6): a run that was stopped and lost its lease to `abort` must not change a slot
 * after the abort put it back. Swaps are submitted through `beginSwap`'s poller; azure.swap checks before that.
 */
function fencedArm(client: AppServiceSlots, fence: ActionFence): AppServiceSlots {
  return new Proxy(client, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (typeof prop !== "string" || !ARM_WRITES.has(prop) || typeof value !== "function") return value;
      return async (...args: unknown[]) => {
        await fence.assertHeld();
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
}

export interface SlotRef {
  client: AppServiceSlots;
  app: string;
  slot: string;
}

export async function resolveSlot(
  ctx: Pick<ActionContext, "provider" | "fence">,
  input: { target: string; app?: string; slot?: string },
): Promise<SlotRef> {
  const client = await appservice(ctx, input.target);
  let app: string;
  try {
    app = client.appName(input.app);
  } catch (e) {
    throw new CutoverError(ErrorCode.Config, (e as Error).message, { cause: e });
  }
  return { client, app, slot: input.slot ?? client.options.defaultSlot };
}

/** Did a swap of these two slots complete after `baseline` (the last swap's timestamp before we started)? */
export function swappedSince(state: SlotInfo, baseline: string | null, a: string, b: string): boolean {
  const s = state.slotSwapStatus;
  if (!s || s.timestampUtc === baseline) return false;
  if (baseline !== null && Date.parse(s.timestampUtc) <= Date.parse(baseline)) return false;
  const pair = [s.sourceSlotName.toLowerCase(), s.destinationSlotName.toLowerCase()].sort().join("|");
  return pair === [a.toLowerCase(), b.toLowerCase()].sort().join("|");
}

/**
 * Wait for a swap someone already started (ours, from a crashed attempt or a
 * POST the SDK retried) to finish: the last-swap timestamp of the two slots
 * moves past `baseline`. If nothing is in progress any more and no new swap
 * landed (three readings in a row), the swap failed or never ran: say so
 * instead of waiting for the step's timeout.
 */
export async function waitForSwapToLand(
  ref: SlotRef,
  other: string,
  baseline: string | null,
  ctx: Pick<ActionContext, "signal" | "log">,
): Promise<SlotInfo> {
  const interval = Math.max(ref.client.options.pollIntervalMs, 20);
  let idle = 0;
  while (true) {
    const state = await ref.client.getSwapView(ref.app, ref.slot, other, ctx.signal);
    const landed = swappedSince(state, baseline, ref.slot, other);
    if (landed && !state.inProgressOperationId) return state;
    idle = state.inProgressOperationId || landed ? 0 : idle + 1;
    if (idle >= 3) {
      throw new CutoverError(
        ErrorCode.Provider,
        `${ref.app}: the swap of ${ref.slot}↔${other} that was running ended without landing`,
        {
          hint:
            "The swap failed (see the web app's Activity log); the slots may be left prepared for swap: `cutover " +
            "abort` resets them, or retry the step.",
          retryable: true,
        },
      );
    }
    ctx.log.progress(`waiting for the swap of ${ref.app} ${ref.slot}↔${other} already in progress`);
    await sleep(interval, ctx.signal);
  }
}

/** A 409 that says a swap is running on the site (maybe ours: a crashed attempt, or a POST the SDK retried). */
export function isSwapRunning(e: unknown): boolean {
  const d = (e as { details?: { status?: unknown; conflict?: unknown; operationName?: unknown } } | null)?.details;
  if (d?.status !== 409 || d.conflict !== "operation-in-progress") return false;
  return typeof d.operationName !== "string" || /swap/i.test(d.operationName);
}

const SECRET_NAME = /(secret|password|pwd|key|token|connection|credential|sas|signature)/i;

/** A value we will not journal: recorded as a fingerprint so undo can tell whether it still holds. */
export interface Withheld {
  withheld: true;
  sha256: string;
}

function fingerprint(value: string): string {
  return createHash("sha256").update(value).digest("hex").slice(0, 16);
}

/** The journal-safe form of an app setting's value. */
export function journalValue(
  name: string,
  value: string | null,
  redact: (t: string) => string,
): string | null | Withheld {
  if (value === null) return null;
  const looksSecret = SECRET_NAME.test(name) || /[?&]sig=/i.test(value) || redact(value) !== value;
  return looksSecret ? { withheld: true, sha256: fingerprint(value) } : value;
}

export function isWithheld(v: unknown): v is Withheld {
  return typeof v === "object" && v !== null && (v as { withheld?: unknown }).withheld === true;
}

/** How `plan` names the slot a step addresses (the provider's defaults are not known there). */
export function slotLabel(input: { app?: string; slot?: string }): string {
  if (input.app) return `${input.app}/${input.slot ?? "default slot"}`;
  return input.slot ? `slot ${input.slot}` : "the deployment slot";
}
