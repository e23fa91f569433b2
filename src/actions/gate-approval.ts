/**
 * A human gate. The engine pauses the run before this step (exit 3) until
 * someone runs `cutover approve <run> [<step>]`; the approval (who, when, a
 * note) is journaled, so the gate survives restarts and is audited.
 */
import { z } from "zod";
import { defineAction } from "../core/action.js";
import { DURATION_RANGES } from "../core/duration.js";
import { durationSchema } from "../core/duration-schema.js";

const With = z
  .object({
    message: z
      .string()
      .default("Continue?")
      .describe("What the approver is asked; shown by status and in the pause message."),
    expiresAfter: durationSchema(
      "How long the gate waits, from when the run first paused at it. Enforced when the run is next touched: an " +
        "expired gate can no longer be approved.",
      DURATION_RANGES.gateExpiry,
    ).optional(),
    onExpiry: z
      .enum(["fail", "abort", "approve"])
      .default("fail")
      .describe(
        "What an expired gate does: fail (the step's onFailure applies), abort (undo the run), approve " +
          "(continue, journaled as an automatic approval).",
      ),
  })
  .strict();

export const gateApproval = defineAction({
  kind: "gate.approval",
  summary: "Pause until a person approves with `cutover approve`",
  description:
    "The run pauses before this step and the process exits with code 3. `cutover approve <run-id> [<step-id>] " +
    "[--note text]` records the approval (who, from which host, a note) and continues the run. `cutover run " +
    "--approve <step-id>` approves a gate in advance, for pipelines that gate outside cutover.",
  with: With,
  idempotent: true,
  undo: "none",
  gate: true,
  describe: (w) => `wait for approval: ${w.message}`,
  async run(_w, ctx) {
    return { outputs: { approvedBy: ctx.approval ? ctx.approval.by.user : null } };
  },
});
