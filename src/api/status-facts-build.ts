/**
 * Derive a run's PlaybookFacts (api/status-facts.ts) from its validated playbook: this is where the actions'
 * definitions are asked how each step would be undone. Loads every action (through src/runtime.ts), so
 * `cutover status` imports it only when the run's cache has no facts for the playbook as it is now.
 */
import { undoesWhenIncomplete, undoKindOf } from "../engine/abort-order.js";
import { barrierOf } from "../engine/barriers.js";
import { buildPlan, leafSpecs } from "../engine/plan.js";
import type { RunState } from "../engine/reducer.js";
import { resolveValue } from "../engine/resolve.js";
import type { Scope } from "../playbook/expressions.js";
import { playbookHash } from "../playbook/input-file.js";
import { isStaticallyKnown } from "../playbook/static-values.js";
import type { StepSpec } from "../playbook/schema.js";
import { validatePlaybookText, type LoadedPlaybook } from "../playbook/validate.js";
import { registries } from "../runtime.js";
import type { RunStore } from "../core/run-store.js";
import { FileRunStore } from "../providers/file/run-store.js";
import { snapshotOf } from "./fold-cache.js";
import { writeRunCache } from "./run-cache.js";
import { secretNamesOf } from "./secrets.js";
import { paramsKey, type PlaybookFacts, type StepFacts, type UndoKind } from "./status-facts.js";

/**
 * The facts of the playbook `text` (read from `file`) for `state`'s run. A playbook that no longer validates
 * gives facts with no steps (abort's preview then shows each step's action as unknown, as before a fix).
 */
export function playbookFacts(file: string, text: string, state: RunState, sha256 = playbookHash(text)): PlaybookFacts {
  const base = { file, sha256, params: paramsKey(state) };
  let loaded: LoadedPlaybook;
  try {
    loaded = validatePlaybookText(file, text, registries);
  } catch {
    return { ...base, loaded: false, secretNames: [], secretParams: [], steps: {} };
  }
  return { ...base, loaded: true, ...secretNamesOf(loaded), steps: stepFacts(loaded, state) };
}

/** Per planned step of `loaded` under `state`'s params: what abort would do with it. */
export function stepFacts(loaded: LoadedPlaybook, state: RunState): Record<string, StepFacts> {
  const steps: Record<string, StepFacts> = {};
  for (const [id, spec] of leafSpecs(buildPlan(loaded.playbook.steps, state.params)))
    steps[id] = {
      action: spec.action,
      undo: undoKind(spec, state),
      undoesIncomplete: undoesWhenIncomplete(spec, registries.findAction),
      barrier: barrierOf(spec, registries.findAction)?.reason,
    };
  return steps;
}

/** How abort would undo the step, judged on inputs that read only params, resolved as the abort would see them. */
function undoKind(spec: StepSpec, state: RunState): UndoKind {
  if (spec.undo === false) return "disabled";
  if (spec.undo && typeof spec.undo === "object") return "override";
  const def = spec.action ? registries.findAction(spec.action) : undefined;
  if (!def) return "none";
  const scope: Scope = { params: state.params, steps: {}, env: {}, secrets: () => undefined, run: { id: state.runId } };
  let withBlock: unknown = spec.with;
  try {
    if (isStaticallyKnown(spec.with ?? {}, state.secretParams)) withBlock = resolveValue(spec.with ?? {}, scope);
  } catch {
    /* judged on the raw inputs */
  }
  return undoKindOf(def, withBlock);
}

/**
 * After a command that drove a run (run, resume, a decision): leave the run's cache as the first `status` will
 * want it (api/run-view.ts): a snapshot of the journal and the playbook's facts, so that the on-call's first look is
 * as quick as the next. Only for the project's file
 * store; best effort (the cache only saves time).
 */
export async function primeStatusCache(store: RunStore, state: RunState, loaded: LoadedPlaybook): Promise<void> {
  if (!(store instanceof FileRunStore)) return;
  try {
    const fold = await snapshotOf(store, state);
    const playbook: PlaybookFacts = {
      // Keyed as status looks it up: the run's own playbook path, the SHA-256 of the text that was validated.
      file: state.playbook.file,
      sha256: loaded.hash,
      params: paramsKey(state),
      loaded: true,
      ...secretNamesOf(loaded),
      steps: stepFacts(loaded, state),
    };
    await writeRunCache(store.dir, state.runId, { fold, playbook });
  } catch {
    /* see above */
  }
}
