/**
 * Gate expiry: a gate may say how long it waits (`expiresAfter`) and what
 * happens then (`onExpiry`: fail, abort or approve). Its inputs are resolved
 * through the gate action's schema when the run pauses at it, like any
 * step's inputs (so `${{ params.ttl }}` works), and the pause is journaled
 * with `expiresAt` and `onExpiry`: from then on the journal decides, so the
 * expiry survives restarts and a changed playbook. It is enforced when
 * anyone next touches the run (resume, approve; an expired gate can no
 * longer be approved).
 */
import { z } from "zod";
import { parseDuration } from "../playbook/duration.js";
import { OnExpiry, type EventOf } from "./events.js";

/** What the engine reads of a gate's parsed inputs (the gate action's schema produced them). */
const GateInputs = z.object({
  message: z.string().optional(),
  expiresAfter: z.union([z.string(), z.number()]).optional(),
  onExpiry: OnExpiry.optional(),
});

/** The run.paused event of a gate, from its resolved and parsed inputs; `now` is when the wait starts. */
export function gatePause(
  id: string,
  input: unknown,
  now: number,
): Omit<EventOf<"run.paused">, "seq" | "at" | "runId"> {
  const g = GateInputs.parse(input);
  const message = g.message !== undefined ? `${id} waits for approval: ${g.message}` : `${id} waits for approval`;
  const pause = { type: "run.paused" as const, reason: "approval" as const, stepId: id, message };
  if (g.expiresAfter === undefined) return pause;
  const expiresAt = new Date(now + parseDuration(g.expiresAfter)).toISOString();
  return { ...pause, expiresAt, onExpiry: g.onExpiry ?? "fail" };
}

export { gateExpiry, isExpired } from "./gate-expiry.js";
