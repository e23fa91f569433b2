/**
 * Start, stop and restart of an App Service slot (shared by azure.start-slot,
 * azure.stop-slot and azure.restart-slot). Start and stop observe the slot's
 * state first and record it, so their undo puts the slot back as it was.
 */
import { z } from "zod";
import type { Json } from "../engine/events.js";
import { defineAction, type ActionResult } from "./types.js";
import { appField, appserviceTargetField, resolveSlot, slotField, slotLabel } from "./azure-common.js";

const SlotPowerWith = z
  .object({
    target: appserviceTargetField,
    app: appField,
    slot: slotField,
  })
  .strict();

const Recorded = z.object({ app: z.string(), slot: z.string(), previousState: z.string() });

const wantedState = { start: "running", stop: "stopped" } as const;

/** start / stop: converge on a state; undo returns to the recorded one. */
export function defineSlotStateAction(op: "start" | "stop") {
  const reverse = op === "start" ? "stop" : "start";
  return defineAction({
    kind: `azure.${op}-slot`,
    summary: `${op === "start" ? "Start" : "Stop"} an App Service slot; undo ${reverse}s it again if it was ${wantedState[reverse]}.`,
    description: `Does nothing if the slot is already ${wantedState[op]}. Outputs \`state\` and \`changed\`.`,
    with: SlotPowerWith,
    idempotent: true,
    undo: "recorded",
    provider: { capability: "appservice", defaultTarget: "app" },
    describe: (input) => `${op} ${slotLabel(input)}`,

    async run(input, ctx): Promise<ActionResult> {
      const { client, app, slot } = await resolveSlot(ctx, input);
      const state = await client.getSlot(app, slot, ctx.signal);
      const already = state.state.toLowerCase() === wantedState[op];
      if (ctx.dryRun) {
        ctx.log.info(already ? `${app}/${slot} is already ${wantedState[op]}` : `would ${op} ${app}/${slot}`);
        return { outputs: {} };
      }
      if (!already) await client.power(app, slot, op, ctx.signal);
      ctx.log.info(already ? `${app}/${slot} is already ${wantedState[op]}` : `${app}/${slot}: ${op} requested (was ${state.state})`);
      return {
        outputs: { app, slot, state: op === "start" ? "Running" : "Stopped", changed: !already },
        recorded: { app, slot, previousState: state.state } as Json,
      };
    },

    async undoRun(input, ctx) {
      const rec = Recorded.parse(ctx.recorded);
      const { client } = await resolveSlot(ctx, input);
      const previous = rec.previousState.toLowerCase();
      if (previous !== "running" && previous !== "stopped") return;
      const now = await client.getSlot(rec.app, rec.slot, ctx.signal);
      if (now.state.toLowerCase() === previous) return;
      await client.power(rec.app, rec.slot, previous === "running" ? "start" : "stop", ctx.signal);
      ctx.log.info(`${rec.app}/${rec.slot}: back to ${rec.previousState}`);
    },
  });
}

export const slotPowerWith = SlotPowerWith;
