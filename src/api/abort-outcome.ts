/**
 * Whether an abort put the environment back where it was: what `cutover abort` exits with (docs/design.md,
 * "Exit codes"). Back means every step that changed something was undone. Left in place: an undo that failed,
 * one skipped by a person or held by a barrier, a step with effects and no undo (or past a point of no return),
 * and a step with effects that did not complete (nothing recorded to undo it from). Checks and waits
 * (nothing to undo) leave nothing, completed or not.
 */
import { undoKindOf } from "../engine/abort-order.js";
import { buildPlan, leafSpecs } from "../engine/plan.js";
import type { RunState, StepState } from "../engine/reducer.js";
import type { LoadedPlaybook } from "../playbook/validate.js";
import { registries } from "../runtime.js";

export interface LeftInPlace {
  id: string;
  why: string;
}

const LEFT_BY_SKIP: Record<string, string> = {
  "no-undo": "it has no undo",
  "point-of-no-return": "point of no return",
  operator: "its undo was skipped by a person",
  barrier: "its undo is held by a data barrier",
};

/** The steps an abort left changed; empty when the environment is back where it was. */
export function leftInPlace(state: RunState, loaded?: LoadedPlaybook): LeftInPlace[] {
  const specs = loaded ? leafSpecs(buildPlan(loaded.playbook.steps, state.params)) : undefined;
  const out: LeftInPlace[] = [];
  for (const id of state.order) {
    const st = state.steps[id]!;
    const u = st.undo;
    if (u.status === "failed") out.push({ id, why: `its undo failed: ${u.error?.message ?? "unknown error"}` });
    else if (u.status === "skipped" && u.reason && LEFT_BY_SKIP[u.reason])
      out.push({ id, why: LEFT_BY_SKIP[u.reason]! });
    else if (u.status === "skipped" && u.reason === "not-completed" && hasEffects(st, specs))
      out.push({ id, why: "it did not complete, so nothing recorded what to undo; check it by hand" });
    else if (u.status !== "succeeded" && u.status !== "skipped" && st.status === "succeeded" && hasEffects(st, specs))
      out.push({ id, why: "not undone yet" });
  }
  return out;
}

/** Whether the step's action changes anything (without its playbook, assume it does). */
function hasEffects(st: StepState, specs?: Map<string, { action?: string; undo?: unknown; with?: unknown }>): boolean {
  const spec = specs?.get(st.stepId);
  if (!spec?.action) return true;
  if (spec.undo !== undefined) return true; // an override or `undo: false`: written for a step that changes things
  const def = registries.findAction(spec.action);
  return !def || undoKindOf(def, spec.with) !== "none";
}
