/**
 * `azure.swap`: swap a deployment slot into another (production by default)
 * as a long-running ARM operation, never twice.
 *
 * How a crash anywhere is survived:
 * 1. Before the POST, checkpoint the slot's last-swap timestamp (baseline).
 * 2. After the POST is accepted, checkpoint the serialized poller; a resumed
 *    attempt restores it and keeps polling the SAME operation.
 * 3. A resumed attempt that has only the baseline (crash between POST and
 *    the poller checkpoint) looks at the slot: a newer swap of these slots
 *    means it landed; otherwise it POSTs again, and if ARM answers 409 (our
 *    first swap is still running) it waits for that swap to land.
 * A pending swap with preview (azure.swap-preview) is completed by this.
 *
 * Undo swaps back, only if the last swap of the slot is still ours. An
 * interrupted swap is undone too: from its checkpointed baseline, undo finds
 * whether it landed (waiting for one still running), checkpoints the time it
 * landed at, and swaps back only if the slot's last swap is still that one.
 */
import { z } from "zod";
import type { Json } from "../core/json.js";
import type { SlotInfo } from "../providers/azure/appservice-types.js";
import { translateAzureError } from "../providers/azure/errors.js";
import { defineAction, type ActionContext, type ActionResult, type UndoContext } from "../core/action.js";
import {
  appField,
  appserviceTargetField,
  isSwapRunning,
  resolveSlot,
  slotField,
  swappedSince,
  targetSlotField,
  waitForSwapToLand,
  slotLabel,
  type SlotRef,
  appserviceProvider,
} from "./azure-common.js";

const AzureSwapWith = z
  .object({
    target: appserviceTargetField,
    app: appField,
    slot: slotField,
    targetSlot: targetSlotField,
  })
  .strict();

const Checkpoint = z.object({
  app: z.string(),
  source: z.string(),
  target: z.string(),
  baseline: z.string().nullable(),
  poller: z.string().optional(),
});
type Checkpoint = z.infer<typeof Checkpoint>;

const Recorded = z.object({
  app: z.string(),
  source: z.string(),
  target: z.string(),
  swappedAt: z.string().nullable(),
});

type SwapCtx = Pick<ActionContext, "signal" | "log" | "checkpoint" | "fence">;

/**
 * Start a swap and follow it to the end. A 409 whose operation is a swap
 * (ours from a crashed attempt, or our POST retried by the SDK after a lost
 * answer) is waited for; any other 409 (another operation, a slot prepared
 * for swap) fails at once with its reason.
 */
async function swapOnce(
  ref: SlotRef,
  other: string,
  baseline: string | null,
  ctx: SwapCtx,
  saved: Omit<Checkpoint, "poller"> | undefined,
): Promise<SlotInfo> {
  const { client, app, slot } = ref;
  // ARM cannot check the fencing token: ask the store right before the swap is submitted.
  await ctx.fence?.assertHeld();
  const poller = client.beginSwap(app, slot, other, ctx.signal);
  try {
    await client.call(`swap ${slot} into ${other}`, app, slot, () => poller.submitted());
  } catch (e) {
    if (isSwapRunning(e)) {
      ctx.log.warn(`${app}: a swap is already in progress; waiting for it to land instead of starting another`);
      return waitForSwapToLand(ref, other, baseline, ctx);
    }
    throw e;
  }
  if (saved) await ctx.checkpoint({ ...saved, poller: await poller.serialize() });
  poller.onProgress((s) => ctx.log.progress(`${app}: swap ${slot}→${other}: ${s.status}`));
  await client.call(`swap ${slot} into ${other}`, app, slot, () => poller.pollUntilDone({ abortSignal: ctx.signal }));
  return client.getSwapView(app, slot, other, ctx.signal);
}

function result(ref: SlotRef, other: string, state: SlotInfo, swapped: boolean): ActionResult {
  const swappedAt = state.slotSwapStatus?.timestampUtc ?? null;
  return {
    outputs: { app: ref.app, slot: ref.slot, targetSlot: other, swapped, swappedAt },
    recorded: { app: ref.app, source: ref.slot, target: other, swappedAt } as Json,
    effect: `${ref.app}: ${ref.slot} swapped into ${other}${swappedAt ? ` at ${swappedAt}` : ""}`,
  };
}

export const azureSwap = defineAction({
  kind: "azure.swap",
  summary:
    "Swap an App Service slot into production (or another slot) as a resumable long-running operation; undo " +
    "swaps back.",
  description:
    "Checkpoints the operation's poller so a resumed run continues the same swap, and detects a swap that already " +
    "landed from the slot's last-swap status, so it never swaps twice. Completes a pending swap with preview. Undo " +
    "swaps the slots back if the last swap is still this one. Outputs `swapped`, `swappedAt`.",
  with: AzureSwapWith,
  idempotent: true,
  undo: "recorded",
  undoIncomplete: true,
  provider: appserviceProvider,
  describe: (input) => `swap ${slotLabel(input)} into ${input.targetSlot}`,

  async run(input, ctx): Promise<ActionResult> {
    const ref = await resolveSlot(ctx, input);
    const { client, app, slot } = ref;
    const other = input.targetSlot;
    const prior = Checkpoint.safeParse(ctx.priorCheckpoint);
    const mine =
      prior.success && prior.data.app === app && prior.data.source === slot && prior.data.target === other
        ? prior.data
        : undefined;

    if (mine?.poller) {
      ctx.log.info(`${app}: continuing the swap ${slot}→${other} started by an earlier attempt`);
      try {
        const restored = client.restoreSwap(mine.poller, ctx.signal);
        await client.call(`swap ${slot} into ${other}`, app, slot, () =>
          restored.pollUntilDone({ abortSignal: ctx.signal }),
        );
        return result(ref, other, await client.getSwapView(app, slot, other, ctx.signal), true);
      } catch (e) {
        if (ctx.signal.aborted) throw e;
        // The saved operation failed or is gone: the slot's state decides below.
        ctx.log.warn(
          `${app}: the earlier swap operation did not complete (` +
            `${(translateAzureError(e, { service: "App Service", operation: "swap", resource: app }) as Error).message})`,
        );
      }
    }

    const state = await client.getSwapView(app, slot, other, ctx.signal);
    const baseline = mine ? mine.baseline : (state.slotSwapStatus?.timestampUtc ?? null);
    if (mine && swappedSince(state, baseline, slot, other) && !state.inProgressOperationId) {
      ctx.log.info(
        `${app}: ${slot} was already swapped into ${other} at ${state.slotSwapStatus?.timestampUtc} (by an ` +
          `earlier attempt)`,
      );
      return result(ref, other, state, true);
    }
    const saved = { app, source: slot, target: other, baseline };
    if (!mine) await ctx.checkpoint(saved);
    const after = await swapOnce(ref, other, baseline, ctx, saved);
    ctx.log.info(`${app}: swapped ${slot} into ${other}`);
    return result(ref, other, after, true);
  },

  async undoRun(input, ctx) {
    const rec = ctx.recorded === null ? await landedSwap(input, ctx) : Recorded.parse(ctx.recorded);
    if (!rec) return;
    const base = await resolveSlot(ctx, input);
    const ref: SlotRef = { client: base.client, app: rec.app, slot: rec.source };
    let state = await ref.client.getSwapView(rec.app, rec.source, rec.target, ctx.signal);
    // Wait from OUR swap's time: the two slots are read one after the other, so a view taken while a swap
    // lands can show the new timestamp on one slot and the operation still running on the other.
    if (state.inProgressOperationId) state = await waitForSwapToLand(ref, rec.target, rec.swappedAt, ctx);
    if (state.slotSwapStatus?.timestampUtc !== rec.swappedAt) {
      ctx.log.warn(
        `${rec.app}: ${rec.source} and ${rec.target} were swapped after this step (at ` +
          `${state.slotSwapStatus?.timestampUtc ?? "unknown"}), by an earlier undo attempt or by someone else; not ` +
          `swapping again`,
      );
      return;
    }
    await swapOnce(ref, rec.target, rec.swappedAt, ctx, undefined);
    ctx.log.info(`${rec.app}: swapped ${rec.source} and ${rec.target} back`);
  },
});

const UndoCheckpoint = z.object({ landedAt: z.string().nullable() });

/**
 * For a swap that did not complete: the swap it made, as a record, if it
 * landed; undefined if it never did. The time it landed at is checkpointed
 * before anything is swapped back, so a resumed undo compares the slot's last
 * swap with OUR swap, not with a swap back of its own.
 */
async function landedSwap(
  input: z.infer<typeof AzureSwapWith>,
  ctx: UndoContext,
): Promise<z.infer<typeof Recorded> | undefined> {
  const cp = Checkpoint.safeParse(ctx.lastCheckpoint);
  if (!cp.success) {
    ctx.log.info("the interrupted swap never started: nothing to undo");
    return undefined;
  }
  const { app, source, target, baseline } = cp.data;
  const prior = UndoCheckpoint.safeParse(ctx.priorUndoCheckpoint);
  if (prior.success) return { app, source, target, swappedAt: prior.data.landedAt };
  const base = await resolveSlot(ctx, input);
  const ref: SlotRef = { client: base.client, app, slot: source };
  let state = await ref.client.getSwapView(app, source, target, ctx.signal);
  // Started but still running: let it land, then take it back.
  if (state.inProgressOperationId) state = await waitForSwapToLand(ref, target, baseline, ctx);
  if (!swappedSince(state, baseline, source, target)) {
    if (state.targetSwapSlot) {
      // A swap that failed part-way leaves the slots prepared for swap: every settings write (the undo of
      // the deploy before it) gets 409 until the slot configuration is reset.
      await ref.client.resetSlotConfig(app, source, ctx.signal);
      ctx.log.info(
        `${app}: the swap of ${source} into ${target} never landed and left the slots prepared for swap: reset them`,
      );
      return undefined;
    }
    ctx.log.info(`${app}: the interrupted swap of ${source} into ${target} never landed: nothing to undo`);
    return undefined;
  }
  const landedAt = state.slotSwapStatus?.timestampUtc ?? null;
  await ctx.checkpoint({ landedAt });
  return { app, source, target, swappedAt: landedAt };
}
