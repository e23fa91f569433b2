/**
 * `local.stop`: stop a slot of the local environment after a termination
 * wait: first a grace period (`after`, the CQRS Journey's "leave V1 running a
 * few minutes"), then until its in-flight requests have ended, then SIGTERM,
 * then SIGKILL after `killAfter`. The live slot is never stopped.
 *
 * Idempotent: stopping a stopped slot changes nothing. Undo starts the same
 * deployment again in that slot.
 */
import { z } from "zod";
import { formatDuration, parseDuration } from "../playbook/duration.js";
import { ActionFailure, defineAction, type ActionResult } from "../core/action.js";
import { SlotNameSchema } from "../core/slots.js";
import { sleep } from "./support/abort.js";
import { durationField } from "./support/schemas.js";
import { localSlots, slotsProvider, localTargetField, resolveSlot } from "./local-common.js";
import { recordOrCheckpoint } from "./support/undo-source.js";

const LocalStopWith = z
  .object({
    target: localTargetField,
    slot: z
      .enum(["idle", "blue", "green"])
      .default("idle")
      .describe("The slot to stop: `idle` (the default) or `blue`/`green`. Stopping the live slot is refused."),
    after: durationField(
      "Grace period before stopping, e.g. to let background work of the old version finish. It counts from the " +
        "step's start; a step resumed during it waits only what is left of it.",
    ).default("0s"),
    drainTimeout: durationField("Longest wait for its in-flight requests to end before the app is signalled.").default(
      "30s",
    ),
    killAfter: durationField("Time between SIGTERM and SIGKILL.").default("10s"),
  })
  .strict();

/** The slot stopped and the version it ran (null: it was not running), for undo. */
const StopRecord = z.object({ slot: SlotNameSchema, version: z.string().nullable() });

/** And when its grace period ends: a step resumed during it waits only what is left (absent in older journals). */
const StopCheckpoint = StopRecord.extend({ stopAt: z.string().optional() });

export const localStop = defineAction({
  kind: "local.stop",
  summary: "Stop a slot of the local environment after a grace period and a drain (SIGTERM, then SIGKILL).",
  description:
    "Outputs `slot`, `version` and `changed`. Undo starts the same deployment again in that slot and waits until " +
    "it is healthy.",
  with: LocalStopWith,
  idempotent: true,
  undo: "recorded",
  // Interrupted in its grace period or while stopping: abort
  // must still bring the old version back before swapping to it.
  undoIncomplete: true,
  provider: slotsProvider,
  describe: (input) =>
    `stop the ${input.slot} slot of ` +
    `${input.target ?? "app"}${parseDuration(input.after) > 0 ? ` after ${input.after}` : ""}`,

  records: StopRecord,
  checkpoints: StopCheckpoint,

  async run(input, ctx): Promise<ActionResult> {
    // The grace period counts from the step's start (right after the swap it follows), not from after the reads below.
    const begun = Date.now();
    const client = await localSlots(ctx, input.target);
    const status = await client.status(ctx.signal);
    const slot = ctx.priorCheckpoint?.slot ?? resolveSlot(input.slot, status);
    if (slot === status.live)
      throw new ActionFailure(`slot ${slot} is live; swap before stopping it`, { retryable: false });
    const now = status.slots[slot];
    const version = ctx.priorCheckpoint?.version ?? (now.running ? now.version : undefined);
    if (!now.running) {
      ctx.log.info(`${slot} is already stopped`);
      return {
        outputs: { slot, version: version ?? null, changed: false },
        recorded: { slot, version: version ?? null },
      };
    }
    const stopAt = ctx.priorCheckpoint?.stopAt ?? new Date(begun + parseDuration(input.after)).toISOString();
    await ctx.checkpoint({ slot, version: version ?? null, stopAt });
    const left = (Date.parse(stopAt) || 0) - Date.now(); // an unreadable time: no grace left
    if (left > 0) {
      ctx.log.progress(`${slot} (${version}) stops in ${formatDuration(left)}`);
      await sleep(left, ctx.signal);
    }
    const out = await client.stop(
      slot,
      { drainTimeoutMs: parseDuration(input.drainTimeout), killAfterMs: parseDuration(input.killAfter) },
      ctx.signal,
    );
    ctx.log.info(
      `${slot} (${version}) ` +
        `stopped${out.drain?.pendingAtStart ? ` after draining ${out.drain.pendingAtStart} request(s)` : ""}`,
    );
    return {
      outputs: { slot, version: version ?? null, changed: out.changed },
      recorded: { slot, version: version ?? null },
    };
  },

  async undoRun(input, ctx) {
    // Completed: what it recorded. Interrupted: the checkpoint written before it stopped anything.
    const rec = recordOrCheckpoint(ctx);
    if (!rec?.version) return;
    const { slot, version } = rec;
    const client = await localSlots(ctx, input.target);
    ctx.log.info(`starting ${version} again in ${slot}`);
    await client.revive(slot, version, ctx.signal);
  },
});
