/**
 * Start, stop and restart of an App Service slot (shared by azure.start-slot,
 * azure.stop-slot and azure.restart-slot). Start and stop observe the slot's
 * state first and record it, so their undo puts the slot back as it was. The
 * observed state is checkpointed before the change, so a step resumed after
 * a crash (finding the slot already changed) still records the true one, and
 * abort of an interrupted step undoes from the checkpoint.
 */
import { z } from "zod";
import type { Json } from "../core/json.js";
import { defineAction, type ActionResult } from "../core/action.js";
import {
  appField,
  appserviceTargetField,
  resolveSlot,
  slotField,
  slotLabel,
  appserviceProvider,
} from "./azure-common.js";
import { recordOrCheckpoint } from "./support/undo-source.js";

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
    summary:
      `${op === "start" ? "Start" : "Stop"} an App Service slot; undo ${reverse}s it again if it was ` +
      `${wantedState[reverse]}.`,
    description: `Does nothing if the slot is already ${wantedState[op]}. Outputs \`state\` and \`changed\`.`,
    with: SlotPowerWith,
    idempotent: true,
    undo: "recorded",
    undoIncomplete: true,
    provider: appserviceProvider,
    describe: (input) => `${op} ${slotLabel(input)}`,

    async run(input, ctx): Promise<ActionResult> {
      const { client, app, slot } = await resolveSlot(ctx, input);
      const state = await client.getSlot(app, slot, ctx.signal);
      const already = state.state.toLowerCase() === wantedState[op];
      // An earlier attempt may have changed it already: its checkpoint holds the state it found.
      const prior = Recorded.safeParse(ctx.priorCheckpoint);
      const previousState =
        prior.success && prior.data.app === app && prior.data.slot === slot ? prior.data.previousState : state.state;
      const record = { app, slot, previousState } as Json;
      if (!already) {
        await ctx.checkpoint(record);
        await client.power(app, slot, op, ctx.signal);
      }
      ctx.log.info(
        already
          ? `${app}/${slot} is already ${wantedState[op]}`
          : `${app}/${slot}: ${op} requested (was ${state.state})`,
      );
      return {
        outputs: {
          app,
          slot,
          state: op === "start" ? "Running" : "Stopped",
          changed: previousState.toLowerCase() !== wantedState[op],
        },
        recorded: record,
      };
    },

    async undoRun(input, ctx) {
      // Interrupted: the checkpoint written before the change (none: it changed nothing).
      const source = recordOrCheckpoint(ctx);
      if (source === undefined) return;
      const rec = Recorded.parse(source);
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
