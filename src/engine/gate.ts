/**
 * Gate expiry: a gate may say how long it waits (`with.expiresAfter`) and
 * what happens then (`with.onExpiry`: fail, abort or approve). The wait
 * starts when the run first paused at the gate (journaled), so it survives
 * restarts; it is enforced when anyone next touches the run (resume, approve,
 * status --watch cannot approve an expired gate).
 */
import { parseDuration } from "../playbook/duration.js";
import type { StepSpec } from "../playbook/schema.js";
import type { RunState } from "./reducer.js";

export type OnExpiry = "fail" | "abort" | "approve";

export interface GateExpiry {
  expiresAt: number;
  onExpiry: OnExpiry;
}

/** When the gate `stepId` expires, if it has an expiry and the run is paused at it. */
export function gateExpiry(state: RunState, stepId: string, spec: StepSpec | undefined): GateExpiry | undefined {
  const w = spec?.with ?? {};
  const after = w.expiresAfter;
  if ((typeof after !== "string" && typeof after !== "number") || state.pause?.reason !== "approval" || state.pause.stepId !== stepId) return undefined;
  let ms: number;
  try {
    ms = parseDuration(after);
  } catch {
    return undefined; // validated by the action's schema; a template is not supported here
  }
  const onExpiry = w.onExpiry === "abort" || w.onExpiry === "approve" ? w.onExpiry : "fail";
  return { expiresAt: Date.parse(state.pause.at) + ms, onExpiry };
}

export function isExpired(e: GateExpiry | undefined, now = Date.now()): e is GateExpiry {
  return e !== undefined && now >= e.expiresAt;
}
