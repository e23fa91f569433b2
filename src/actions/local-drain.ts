/**
 * `local.drain`: wait until the requests in flight on a slot have ended.
 *
 * The supervisor's proxy pushes the answer the moment the last of them ends
 * (a long-poll, no polling), so the step ends within milliseconds of it.
 * Requests that arrive after the drain began do not extend it: on an idle
 * slot that is "in-flight reached 0"; on the live slot with `requests:
 * writes` during maintenance it is "no write accepted before read-only mode
 * began is still running" — the moment a migration may start.
 * Read-only: idempotent, nothing to undo.
 */
import { z } from "zod";
import { formatDuration, parseDuration } from "../playbook/duration.js";
import { ActionFailure, defineAction, type ActionResult } from "../core/action.js";
import { durationField } from "./support/schemas.js";
import { localProxy, proxyProvider, localTargetField, resolveSlot, slotRefField } from "./local-common.js";

const LocalDrainWith = z
  .object({
    target: localTargetField,
    slot: slotRefField.default("idle"),
    requests: z
      .enum(["all", "writes"])
      .default("all")
      .describe("Which requests to wait for: `all`, or only `writes` (methods other than GET, HEAD, OPTIONS)."),
    timeout: durationField("Longest wait for the drain.").default("5m"),
    onTimeout: z
      .enum(["fail", "continue"])
      .default("fail")
      .describe("When requests are still in flight at `timeout`: fail the step (the default) or go on."),
  })
  .strict();

export const localDrain = defineAction({
  kind: "local.drain",
  summary: "Wait until the requests in flight on a slot of the local environment have ended.",
  description:
    "Outputs `slot`, `drained`, `pendingAtStart` (requests in flight when it began), `waitedMs` and " +
    "`lastEndedAt` (epoch ms when the last of them ended).",
  with: LocalDrainWith,
  idempotent: true,
  undo: "none",
  provider: proxyProvider,
  describe: (input) =>
    `wait until ${input.requests === "writes" ? "writes" : "requests"} in flight on the ${input.slot} slot have ` +
    `ended (at most ${input.timeout})`,

  async run(input, ctx): Promise<ActionResult> {
    const client = await localProxy(ctx, input.target);
    const status = await client.status(ctx.signal);
    const slot = resolveSlot(input.slot, status);
    const counts = status.slots[slot];
    ctx.log.progress(
      `draining ${slot}: ${input.requests === "writes" ? counts.inFlightWrites : counts.inFlight} in flight`,
    );
    const timeoutMs = parseDuration(input.timeout);
    const out = await client.waitDrained(slot, { writesOnly: input.requests === "writes", timeoutMs }, ctx.signal);
    if (!out.drained && input.onTimeout === "fail") {
      throw new ActionFailure(`slot ${slot} still had requests in flight after ${formatDuration(timeoutMs)}`, {
        hint: "raise `timeout`, or set `onTimeout: continue` to go on regardless",
      });
    }
    ctx.log.info(`${slot} drained ${out.pendingAtStart} request(s) in ${formatDuration(out.waitedMs)}`);
    return {
      outputs: {
        slot,
        drained: out.drained,
        pendingAtStart: out.pendingAtStart,
        waitedMs: out.waitedMs,
        lastEndedAt: out.lastEndedAt ?? null,
      },
    };
  },
});
