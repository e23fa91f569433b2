/**
 * What the CI outputs (annotations, the GitHub step summary, the JUnit report) say about a run, read from its
 * state (the fold of the journal) and its playbook: where a step is written, its title, the result sentence.
 */
import path from "node:path";
import type { RunState, StepState } from "../../engine/reducer.js";
import type { LoadedPlaybook } from "../../playbook/validate.js";
import type { StepSpec } from "../../playbook/schema.js";
import type { Path } from "../../playbook/source.js";
import { runSummaryLine } from "../../api/inspect.js";
import type { SourceAt } from "./ci-kind.js";

/** The YAML path of the step with id `stepId` (top level or inside groups). */
function stepPath(steps: StepSpec[], stepId: string, at: Path = ["steps"]): Path | undefined {
  for (const [i, s] of steps.entries()) {
    if (s.id === stepId) return [...at, i];
    const inner = s.steps ? stepPath(s.steps, stepId, [...at, i, "steps"]) : undefined;
    if (inner) return inner;
  }
  return undefined;
}

/** file:line:column of the step's `id:` in the playbook, or just the file when the step is not found. */
export function stepLocation(loaded: LoadedPlaybook | undefined, file: string, stepId: string): SourceAt {
  const p = loaded ? stepPath(loaded.playbook.steps, stepId) : undefined;
  if (!loaded || !p) return { file };
  const { line, column } = loaded.source.locate([...p, "id"], { key: true });
  return { file, line, column };
}

/** The step with id `stepId` and the nearest parallel group around it. */
function findSpec(
  steps: StepSpec[],
  stepId: string,
  parallel?: StepSpec,
): { spec: StepSpec; parallel?: StepSpec } | undefined {
  for (const s of steps) {
    if (s.id === stepId) return { spec: s, parallel };
    const inner = s.steps ? findSpec(s.steps, stepId, s.parallel ? s : parallel) : undefined;
    if (inner) return inner;
  }
  return undefined;
}

const what = (spec: StepSpec | undefined): string => {
  const text = spec?.description ?? spec?.action;
  return text ? `: ${text.split("\n")[0]}` : "";
};

/**
 * The log group a step's lines go in: its own ("deploy-green: Deploy the new version (attempt 2)"), or the one of
 * its parallel group, or of its matrix ("deploy (matrix)"), which members share while they run at once.
 */
export function logGroup(
  loaded: LoadedPlaybook | undefined,
  st: StepState,
  attempt = 1,
): { key: string; title: string } {
  const found = loaded ? findSpec(loaded.playbook.steps, st.stepId) : undefined;
  if (found?.parallel)
    return { key: `group ${found.parallel.id}`, title: `${found.parallel.id} (parallel)${what(found.parallel)}` };
  if (st.id !== st.stepId) return { key: `matrix ${st.stepId}`, title: `${st.stepId} (matrix)${what(found?.spec)}` };
  return { key: st.id, title: `${st.id}${what(found?.spec)}${attempt > 1 ? ` (attempt ${attempt})` : ""}` };
}

export type CiOutcome = "ok" | "issues" | "failed";

/** Stopped where `--until`/`--only` asked: this stage's share is done. */
const stoppedAsAsked = (state: RunState): boolean =>
  state.status === "paused" && (state.pause?.reason as string | undefined) === "until";

/**
 * Succeeded, or stopped where `--until`/`--only` asked, is ok; a run resting resumably otherwise (paused,
 * stopped) is "issues"; failed and aborted are failed.
 */
export function outcomeOf(state: RunState): CiOutcome {
  if (state.status === "succeeded" || stoppedAsAsked(state)) return "ok";
  if (state.status === "failed" || state.status === "aborted") return "failed";
  return "issues";
}

/**
 * One sentence: how the run stands and the command that continues it. A run kept in a shared store (postgres,
 * Azure Table) is found through its playbook, so the command names it: the next CI job starts without .cutover/.
 */
export function resultSentence(state: RunState, loaded?: LoadedPlaybook): string {
  const provider = loaded?.playbook.environment.state?.provider;
  const f = provider && provider !== "file" ? ` -f ${path.relative(process.cwd(), state.playbook.file)}` : "";
  const id = state.runId;
  switch (state.status) {
    case "succeeded": {
      const line = loaded ? runSummaryLine(loaded, state) : undefined;
      return `run ${id} succeeded${line ? `: ${line}` : ""}`;
    }
    case "paused": {
      const p = state.pause;
      if (stoppedAsAsked(state))
        return `run ${id} stopped as asked${p?.stepId ? ` after ${p.stepId}` : ""}; continue with: cutover resume ${id}${f}`;
      const next = state.abortRequested
        ? `retry the abort: cutover abort ${id}${f}`
        : p?.reason === "approval"
          ? `approve: cutover approve ${id}${p.stepId ? ` ${p.stepId}` : ""}${f}`
          : `cutover retry ${id}${f} | cutover skip ${id}${f} | cutover abort ${id}${f}`;
      return `run ${id} paused${p?.stepId ? ` at ${p.stepId}` : ""}: ${p?.message ?? ""}; ${next}`;
    }
    case "aborted":
      return `run ${id} aborted; what was undone: cutover status ${id}${f}`;
    case "failed":
      return `run ${id} failed${state.error ? `: ${state.error.message}` : ""}`;
    default:
      return `run ${id} stopped, checkpointed; continue with: cutover resume ${id}${f}`;
  }
}

/** Who approved which gate, from the journal's gate.approved / gate.preapproved events (folded into the state). */
export function approvals(state: RunState): string[] {
  return state.order
    .map((id) => state.steps[id]!)
    .filter((st) => st.approvedBy)
    .map(
      (st) => `${st.id} approved${st.approvedAhead ? " ahead" : ""} by ${st.approvedBy!.user}@${st.approvedBy!.host}`,
    );
}
