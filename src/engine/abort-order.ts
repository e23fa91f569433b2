/**
 * Which steps an abort undoes, and in what order, as pure functions of the run's state and its playbook's
 * facts. Apart from engine/abort.ts (which runs the undos) so that `cutover status` can show the same order
 * without loading what running needs.
 */
import type { ActionDefinition } from "../core/action.js";
import type { StepSpec } from "../playbook/schema.js";
import type { RunState, StepState } from "./reducer.js";

/**
 * Failed or interrupted steps whose partial attempt abort can undo: their
 * action does it on its own (`undoIncomplete`, without an `undo:` override,
 * which is written for a completed step), or their `undo:` override says
 * `alsoWhenFailed`. Most recently started first.
 */
export function incompleteUndoable(state: RunState, undoesIncomplete: (stepId: string) => boolean): StepState[] {
  return Object.values(state.steps)
    .filter((st) => (st.status === "failed" || st.status === "running") && undoesIncomplete(st.stepId))
    .sort((a, b) => (b.startedAt ?? "").localeCompare(a.startedAt ?? ""));
}

/** Whether abort undoes this step when its attempt did not complete (see incompleteUndoable). */
export function undoesWhenIncomplete(
  spec: StepSpec | undefined,
  findAction: (kind: string) => ActionDefinition | undefined,
): boolean {
  if (spec?.undo && spec.undo.alsoWhenFailed) return true;
  return spec?.undo === undefined && spec?.action !== undefined && findAction(spec.action)?.undoIncomplete === true;
}

/**
 * The undo kind of a step, asking the action when it depends
 * on the inputs (resolved when the caller can, raw otherwise).
 */
export function undoKindOf(def: ActionDefinition<unknown>, withBlock: unknown): "recorded" | "none" | "irreversible" {
  if (!def.undoFor) return def.undo;
  const parsed = def.with.safeParse(withBlock ?? {});
  return parsed.success ? def.undoFor(parsed.data) : def.undo;
}
