/**
 * `azure.swap-preview`: phase 1 of a swap with preview. The target slot's
 * (production's) sticky settings are applied to the source slot, which
 * restarts with them, so it can be validated (azure.warmup, http.check)
 * with production's configuration before `azure.swap` completes the swap.
 *
 * Observes first: a preview already applied towards the same target is left
 * as is. Undo resets the preview (restoring the slot's own settings) if it
 * is still pending; after the swap completed there is nothing to reset.
 */
import { z } from "zod";
import type { Json } from "../core/json.js";
import { ActionFailure, defineAction, type ActionResult } from "../core/action.js";
import {
  appField,
  appserviceTargetField,
  resolveSlot,
  slotField,
  targetSlotField,
  slotLabel,
  appserviceProvider,
} from "./azure-common.js";

const AzureSwapPreviewWith = z
  .object({
    target: appserviceTargetField,
    app: appField,
    slot: slotField,
    targetSlot: targetSlotField,
  })
  .strict();

const Recorded = z.object({ app: z.string(), slot: z.string(), targetSlot: z.string(), applied: z.boolean() });

export const azureSwapPreview = defineAction({
  kind: "azure.swap-preview",
  summary: "Apply production's slot settings to a slot (phase 1 of a swap with preview); undo resets it.",
  description:
    "Complete the swap with `azure.swap` after validating the slot; abort (or undo) resets the preview. Outputs " +
    "`applied` (false when it was already applied).",
  with: AzureSwapPreviewWith,
  idempotent: true,
  undo: "recorded",
  // Its undo reconciles from the slot's state (a pending preview towards targetSlot), so it needs no record.
  undoIncomplete: true,
  provider: appserviceProvider,
  describe: (input) => `apply ${input.targetSlot}'s slot settings to ${slotLabel(input)} (swap preview)`,

  async run(input, ctx): Promise<ActionResult> {
    const { client, app, slot } = await resolveSlot(ctx, input);
    const state = await client.getSlot(app, slot, ctx.signal);
    const pending = state.targetSwapSlot?.toLowerCase();
    if (pending && pending !== input.targetSlot.toLowerCase()) {
      throw new ActionFailure(`${app}/${slot} already has a swap preview pending towards ${state.targetSwapSlot}`, {
        retryable: false,
        hint: `Complete or reset that preview first (az webapp deployment slot swap --action reset --slot ${slot}).`,
      });
    }
    const already = pending === input.targetSlot.toLowerCase();
    if (!already) {
      await client.applySlotConfig(app, slot, input.targetSlot, ctx.signal);
      ctx.log.info(
        `${app}/${slot} now runs with ${input.targetSlot}'s slot settings (restarting); validate it, then ` +
          `azure.swap completes the swap`,
      );
    } else {
      ctx.log.info(`${app}/${slot}: the swap preview towards ${input.targetSlot} is already applied`);
    }
    return {
      outputs: { app, slot, targetSlot: input.targetSlot, applied: !already },
      recorded: { app, slot, targetSlot: input.targetSlot, applied: true } as Json,
    };
  },

  async undoRun(input, ctx) {
    const { client, app, slot } = await resolveSlot(ctx, input);
    const rec = ctx.recorded === null ? { app, slot, targetSlot: input.targetSlot } : Recorded.parse(ctx.recorded);
    const state = await client.getSlot(rec.app, rec.slot, ctx.signal);
    if (state.targetSwapSlot?.toLowerCase() !== rec.targetSlot.toLowerCase()) {
      ctx.log.info(`${rec.app}/${rec.slot}: no swap preview pending; nothing to reset`);
      return;
    }
    await client.resetSlotConfig(rec.app, rec.slot, ctx.signal);
    ctx.log.info(`${rec.app}/${rec.slot}: swap preview reset; the slot runs with its own settings again`);
  },
});
