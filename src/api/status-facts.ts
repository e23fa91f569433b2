/**
 * What `cutover status` needs from a run's playbook, as plain data: the secrets to mask, and per planned step
 * what abort would do with it. Computed from the validated playbook by api/status-facts-build.ts, which loads
 * every action's schema; this module only reads the facts, so that a status served from the run's cache
 * (api/run-cache.ts) loads neither the actions nor the YAML parser (bench/engine/RESULTS.md).
 */
import type { Json } from "../core/json.js";
import { behindBarrier, passedBarriers } from "../engine/barriers.js";
import { incompleteUndoable } from "../engine/abort-order.js";
import { undoOrder, type RunState, type StepState } from "../engine/reducer.js";
import { Redactor } from "../engine/redact.js";
import { registerSecretNames, type SecretNames } from "./secrets.js";

export type UndoKind = "recorded" | "override" | "none" | "disabled" | "irreversible";

export interface AbortPreview {
  id: string;
  action: string;
  undo: UndoKind;
  /** Behind a data barrier the run passed (its id): abort refuses to undo it without --accept-data-loss. */
  behindBarrier?: string;
}

/** One planned step (a matrix's members share it), as abort sees it under the run's params. */
export interface StepFacts {
  action?: string;
  undo: UndoKind;
  /** Abort undoes it even when its attempt did not complete (engine/abort.ts undoesWhenIncomplete). */
  undoesIncomplete: boolean;
  /** The data barrier it declares (engine/barriers.ts). */
  barrier?: string;
}

export interface PlaybookFacts extends SecretNames {
  /** What they were derived from: the playbook file's path and SHA-256, and the run's params. */
  file: string;
  sha256: string;
  params: string;
  /** False when the file did not validate: no steps are known, and only CUTOVER_SECRET_* are masked. */
  loaded: boolean;
  steps: Record<string, StepFacts>;
}

/** What the facts are keyed by on the run's side: its params (fixed when it started). */
export function paramsKey(state: Pick<RunState, "params" | "secretParams">): string {
  return JSON.stringify([state.params, state.secretParams]);
}

/** What `cutover abort` would undo now, in order, and what it would leave in place (`steps`: from the facts). */
export function abortPreviewFrom(state: RunState, steps: Record<string, StepFacts> = {}): AbortPreview[] {
  const facts = (stepId: string): StepFacts | undefined => (Object.hasOwn(steps, stepId) ? steps[stepId] : undefined);
  const barriers = state.dataLossAccepted
    ? []
    : passedBarriers(state, (id) => {
        const reason = facts(id)?.barrier;
        return reason === undefined ? undefined : { reason };
      });
  const behind = (st: StepState) => (behindBarrier(st, barriers) ? { behindBarrier: barriers.at(-1)!.stepId } : {});
  return [...incompleteUndoable(state, (id) => facts(id)?.undoesIncomplete === true), ...undoOrder(state)]
    .filter((st: StepState) => st.undo.status !== "succeeded" && st.undo.status !== "skipped")
    .map((st) => {
      const f = facts(st.stepId);
      if (!f) return { id: st.id, action: "?", undo: "none" as const };
      return { id: st.id, action: f.action ?? "?", undo: f.undo, ...behind(st) };
    });
}

/** A redactor for a run read by a command, from the facts: the same secrets as api/secrets.ts runRedactor. */
export function factsRedactor(facts: PlaybookFacts | undefined, env: NodeJS.ProcessEnv): Redactor {
  return registerSecretNames(new Redactor(), facts?.loaded ? facts : undefined, env);
}

export function redactState(state: RunState, redactor: Redactor): RunState {
  return redactor.redactJson(state as unknown as Json) as unknown as RunState;
}
