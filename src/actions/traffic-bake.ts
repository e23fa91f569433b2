/**
 * The bake check of `traffic.shift`: an HTTP probe (the fields of
 * `http.check`) or an Azure Monitor gate (the fields of `azure.monitor-gate`),
 * run once per bake interval.
 */
import { z } from "zod";
import { formatDuration, parseDuration } from "../playbook/duration.js";
import type { ActionContext } from "../core/action.js";
import { isCutoverError, ErrorCode } from "../core/errors.js";
import { httpCheck } from "./http-check.js";
import { MonitorGateWith, monitorGate } from "./azure-monitor-gate.js";

export const BakeCheck = z
  .object({
    http: httpCheck.with.optional().describe("An `http.check` (its `with` fields); set `deadline: 0s` for one try."),
    monitor: MonitorGateWith.optional().describe("An `azure.monitor-gate` (its `with` fields)."),
  })
  .strict()
  .refine((c) => (c.http === undefined) !== (c.monitor === undefined), {
    message: "set exactly one of http and monitor",
  })
  .describe("What each bake interval checks: `{ http: {...} }` or `{ monitor: {...} }`.");
type BakeCheck = z.infer<typeof BakeCheck>;

export function describeBake(bake: { duration: string | number; check?: BakeCheck }): string {
  const what = bake.check ? (bake.check.http ? "an HTTP check" : "a Monitor gate") : "no check";
  return `baking ${formatDuration(parseDuration(bake.duration))} with ${what}`;
}

/** Run the check once: undefined when it passes, else why not. A cancelled step rethrows. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the shift's own checkpoint type does not matter here
export async function runBakeCheck(check: BakeCheck, ctx: ActionContext<any>): Promise<string | undefined> {
  try {
    if (check.http) {
      // The check's own attempts must not overwrite the shift's checkpoints.
      await httpCheck.run(check.http, { ...ctx, priorCheckpoint: undefined, checkpoint: async () => undefined });
    } else if (check.monitor) {
      await monitorGate(check.monitor, ctx);
    }
    return undefined;
  } catch (e) {
    if (ctx.signal.aborted) throw e;
    // A check that cannot run (the workspace is unreachable) proves nothing: treated as failed, traffic goes back.
    const failed = isCutoverError(e) && e.code === ErrorCode.StepFailed;
    return failed ? (e as Error).message : `the check could not run: ${(e as Error).message}`;
  }
}
