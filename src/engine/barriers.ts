/**
 * Data barriers (issue 9, docs/operations.md "Data barriers"). A step is a
 * barrier when, once it has succeeded, users write data that the undos of
 * the steps before it cannot carry back: read-only off on a migrated clone,
 * maintenance off on a new database. It says so with `barrier: { reason }`,
 * or its action does (`ActionDefinition.barrier`, e.g. dropping a clone).
 *
 * Past a barrier, the undos of the barrier step and of every step that
 * succeeded before it are "behind" it: abort never runs them silently. An
 * `abort` asked by a person is refused up front (api/abort-guard.ts) unless
 * `--accept-data-loss`; an abort the engine starts itself (`onFailure:
 * abort`) undoes the steps after the barrier and leaves those behind it in
 * place, each journaled as `undo.skipped` with reason `barrier`.
 */
import type { ActionDefinition } from "../core/action.js";
import type { StepSpec } from "../playbook/schema.js";
import type { RunState, StepState } from "./reducer.js";

export type FindAction = (kind: string) => ActionDefinition | undefined;

/** A barrier a run passed: the planned step, why it is one, and when it succeeded. */
export interface PassedBarrier {
  stepId: string;
  reason: string;
  passedAt: string;
  order: number;
}

/** The barrier a step declares: its own `barrier:` first, else its action's. */
export function barrierOf(spec: StepSpec | undefined, findAction: FindAction): { reason: string } | undefined {
  if (!spec) return undefined;
  if (spec.barrier) return spec.barrier;
  return spec.action ? findAction(spec.action)?.barrier : undefined;
}

/** Per planned step, the barrier it declares (`barrierOf` over its spec), if any. */
export type BarrierFor = (stepId: string) => { reason: string } | undefined;

/** The barriers this run has passed (its barrier steps that succeeded), oldest first. */
export function passedBarriers(state: RunState, barrierFor: BarrierFor): PassedBarrier[] {
  const out: PassedBarrier[] = [];
  for (const st of Object.values(state.steps)) {
    if (st.status !== "succeeded" || st.succeededOrder === undefined) continue;
    const b = barrierFor(st.stepId);
    if (b) out.push({ stepId: st.id, reason: b.reason, passedAt: st.finishedAt ?? "", order: st.succeededOrder });
  }
  return out.sort((a, b) => a.order - b.order);
}

/** Whether a step's undo lies behind a passed barrier: it succeeded before (or is) the newest one. */
export function behindBarrier(st: StepState, barriers: PassedBarrier[]): boolean {
  const newest = barriers[barriers.length - 1];
  return newest !== undefined && st.status === "succeeded" && (st.succeededOrder ?? 0) <= newest.order;
}

/** One sentence per barrier: "smoke-writes (writes resume on the new database; passed 2026-…)". */
export function describeBarriers(barriers: PassedBarrier[]): string {
  return barriers.map((b) => `${b.stepId} (${b.reason}; passed ${b.passedAt})`).join(", ");
}
