/** When a gate a run waits at expires, as journaled with its pause (apart from engine/gate.ts, which loads zod). */
import type { OnExpiry } from "./events.js";
import type { RunState } from "./reducer.js";

export interface GateExpiry {
  expiresAt: number;
  onExpiry: OnExpiry;
}

/** When the gate `stepId` expires, as journaled with the pause, if the run is paused at it and it has an expiry. */
export function gateExpiry(state: RunState, stepId: string): GateExpiry | undefined {
  const p = state.pause;
  if (p?.reason !== "approval" || p.stepId !== stepId || p.expiresAt === undefined) return undefined;
  return { expiresAt: Date.parse(p.expiresAt), onExpiry: p.onExpiry ?? "fail" };
}

export function isExpired(e: GateExpiry | undefined, now = Date.now()): e is GateExpiry {
  return e !== undefined && now >= e.expiresAt;
}
