/**
 * The environment, not the single run, is the unit of safety (issue 9):
 *
 * - one open release per environment: while its latest run is running, paused,
 *   interrupted or aborting, `run` is refused (exit 4) unless it names that run
 *   with `--supersede`, which is journaled in both runs;
 * - generations: every run records, when it is admitted, how many runs the
 *   environment had and which one it followed; a run that is no longer the
 *   environment's latest refuses to be continued unless `--force --reason`.
 *
 * See docs/operations.md, "One open release per environment" and "Generations and --force".
 */
import { CutoverError, ErrorCode } from "../core/errors.js";
import { isLeaseLive, type Fence, type RunStore } from "../core/run-store.js";
import type { Actor, EventOf } from "../engine/events.js";
import { Journal } from "../engine/journal.js";
import { foldRun, isFinished, type RunState } from "../engine/reducer.js";
import { abortPreview, driverGone, tryLoad } from "./inspect.js";

type AdmittedBody = Omit<EventOf<"run.admitted">, "runId" | "seq" | "at">;

/** What admission decided for a new run: the run.admitted body, and the open run it supersedes. */
export interface Admission {
  admitted: AdmittedBody;
  superseded?: RunState;
}

/** The environment's latest run, folded, and how many runs it has had. */
async function environmentHistory(store: RunStore, environment: string): Promise<{ latest?: RunState; count: number }> {
  const runs = await store.listRuns({ environment });
  const newest = runs[0];
  return { latest: newest ? foldRun(await store.read(newest.runId)) : undefined, count: runs.length };
}

/** A run that still owns its environment: it has not finished (running, paused, interrupted or aborting). */
function isOpen(state: RunState): boolean {
  return !isFinished(state);
}

/** The environment's latest run if it is still open (for `plan`). */
export async function openRunOf(store: RunStore, environment: string): Promise<RunState | undefined> {
  const [newest] = await store.listRuns({ environment, limit: 1 });
  if (!newest) return undefined;
  const state = foldRun(await store.read(newest.runId));
  return isOpen(state) ? state : undefined;
}

/** Where an open run stands, in words: "paused at step gate", "interrupted at step migrate". */
export function whereItStands(s: RunState): string {
  const step =
    s.pause?.stepId ?? s.order.find((id) => s.steps[id]?.status === "running" || s.steps[id]?.status === "failed");
  return `${s.status}${step ? ` at step ${step}` : ""}`;
}

/** The open run's completed steps that abort would still undo: what it left changed in the environment. */
function leftChanged(state: RunState): string[] {
  return abortPreview(state, tryLoad(state.playbook.file))
    .filter((p) => p.undo !== "none")
    .map((p) => p.id);
}

/**
 * Decide whether a new run of `file` may start on `environment`; throws ENV_LOCKED (exit 4) naming the
 * open run, its step and the two ways out, or USAGE (exit 2) for a `--supersede` that names another run.
 */
export async function admit(
  store: RunStore,
  environment: string,
  file: string,
  supersede?: string,
): Promise<Admission> {
  const { latest, count } = await environmentHistory(store, environment);
  const admitted: AdmittedBody = {
    type: "run.admitted",
    generation: count + 1,
    ...(latest ? { follows: latest.runId } : {}),
  };
  if (!latest || !isOpen(latest)) {
    if (supersede !== undefined) {
      throw new CutoverError(
        ErrorCode.Usage,
        `--supersede ${supersede}: environment ${environment} has no open run to ` +
          `supersede${latest ? ` (its latest, ${latest.runId}, ${latest.status})` : ""}`,
        {
          hint: `run it without --supersede: cutover run ${file}`,
        },
      );
    }
    return { admitted };
  }
  const changed = leftChanged(latest);
  const lease = await store.readLease(environment);
  const gone = driverGone(latest, lease);
  const abandoned = gone ? " (but nothing runs it: its cutover process is gone)" : "";
  const holder = !gone && isLeaseLive(lease) ? `; locked by ${lease.holder} until ${lease.expiresAt}` : "";
  if (supersede !== latest.runId) {
    const what = changed.length ? `it left changed: ${changed.join(", ")}` : "it left nothing that abort would undo";
    const message =
      supersede === undefined
        ? `environment ${environment} has an open run: ${latest.runId} is ${whereItStands(latest)}${abandoned} ` +
          `(${what})${holder}`
        : `--supersede ${supersede}: the open run of environment ${environment} is ${latest.runId} ` +
          `(${whereItStands(latest)}), not ${supersede}`;
    throw new CutoverError(ErrorCode.Locked, message, {
      hint:
        `finish it: cutover resume ${latest.runId}, or undo it: cutover abort ${latest.runId}; ` +
        `or start anew on top of what it left: cutover run ${file} --supersede ${latest.runId} (journaled in ` +
        `both runs)`,
    });
  }
  return { admitted: { ...admitted, supersedes: latest.runId, leftChanged: changed }, superseded: latest };
}

/** Journal the supersede in the old run, under the new run's lease (same environment, same fencing token). */
export async function recordSupersede(
  store: RunStore,
  fence: Fence,
  old: RunState,
  newRunId: string,
  by: Actor,
  changed: string[],
): Promise<void> {
  const j = await Journal.open(store, old.runId);
  j.fence = fence;
  await j.append({ type: "run.superseded", by, supersededBy: newRunId, leftChanged: changed });
}

/**
 * A run that is no longer its environment's latest must not be continued by accident: resuming or
 * aborting it would act on an environment that moved on. Returns the newer run when `force` allows it.
 */
export async function assertLatestOrForced(
  store: RunStore,
  state: RunState,
  command: string,
  force: { force?: boolean; reason?: string },
): Promise<string | undefined> {
  const [latest] = await store.listRuns({ environment: state.environment, limit: 1 });
  if (!latest || latest.runId === state.runId) return undefined;
  const superseded = state.supersededBy
    ? ` (superseded by ${state.supersededBy.by.user} at ${state.supersededBy.at})`
    : "";
  if (!force.force) {
    throw new CutoverError(
      ErrorCode.RunState,
      `run ${state.runId} is not the latest run of environment ${state.environment}: ${latest.runId} is ` +
        `newer${superseded}`,
      {
        hint:
          `act on the newer run (cutover status ${latest.runId}); or, if you are sure, cutover ${command} ` +
          `${state.runId} --force --reason "<why>" (journaled)`,
      },
    );
  }
  if (!force.reason?.trim()) {
    throw new CutoverError(
      ErrorCode.Usage,
      `--force on run ${state.runId} needs --reason "<why>" (journaled with who forced it)`,
    );
  }
  return latest.runId;
}
