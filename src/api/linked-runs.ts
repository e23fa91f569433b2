/**
 * Linked runs (issue 9, docs/operations.md "Linked runs"). A cleanup
 * (contract) playbook declares the release it finishes:
 *
 *   requires: { playbook: shop-v2, environment: shop, status: succeeded }
 *
 * - `run` of it is refused (exit 2, before the lease) unless the latest run
 *   of that playbook in that environment succeeded and is the environment's
 *   latest release: contracting a schema the live version still reads breaks it;
 * - the run journals which run it depends on (`run.linked`);
 * - once such a dependent run succeeded (or while it is open), `abort --rollback`
 *   of the run it depends on is refused, naming it: the old version cannot run
 *   on the cleaned-up environment.
 */
import { CutoverError, ErrorCode } from "../core/errors.js";
import type { RunStore } from "../core/run-store.js";
import type { EventOf } from "../engine/events.js";
import { foldRun, type RunState } from "../engine/reducer.js";
import type { LoadedPlaybook } from "../playbook/validate.js";
import { openStore, type LocateOptions } from "./inspect.js";

export type LinkedBody = Omit<EventOf<"run.linked">, "runId" | "seq" | "at">;

/**
 * For a playbook with `requires:`: the run it depends on, as the `run.linked` event to journal; throws
 * RUN_STATE (exit 2) naming what is wrong. Undefined for a playbook without `requires:`.
 */
export async function requiredRun(
  loaded: LoadedPlaybook,
  file: string,
  opts: LocateOptions,
): Promise<LinkedBody | undefined> {
  const req = loaded.playbook.requires;
  if (!req) return undefined;
  const environment = req.environment ?? loaded.environment;
  const located = await openStore({ ...opts, playbook: file });
  try {
    const release = await latestRelease(located.store, environment, loaded.playbook.name, req.playbook);
    const wanted = `a succeeded run of playbook ${req.playbook} in environment ${environment}`;
    const hint = `run ${req.playbook} first; this playbook cleans up after it (\`requires:\` in ${file})`;
    if (!release) {
      throw new CutoverError(ErrorCode.RunState, `${loaded.playbook.name} requires ${wanted}; there is none`, { hint });
    }
    if (release.playbook.name !== req.playbook) {
      throw new CutoverError(
        ErrorCode.RunState,
        `${loaded.playbook.name} requires ${wanted} as the environment's latest release; ` +
          `the latest is run ${release.runId} of playbook ${release.playbook.name} (${release.status})`,
        { hint },
      );
    }
    if (release.status !== "succeeded") {
      const what = release.status === "aborted" ? "aborted (rolled back)" : release.status;
      throw new CutoverError(
        ErrorCode.RunState,
        `${loaded.playbook.name} requires ${wanted}; its latest run ${release.runId} is ${what}`,
        { hint: `the release it cleans up is not live; ${hint}` },
      );
    }
    return { type: "run.linked", requires: release.runId, playbook: req.playbook, environment };
  } finally {
    await located.close();
  }
}

/**
 * The environment's latest release, newest first: the first run that succeeded or is still open, skipping
 * runs of the cleanup playbook itself and other linked (cleanup) runs. A run of the required playbook is
 * returned whatever its status, so a rolled-back release is seen as such rather than passed over.
 */
async function latestRelease(
  store: RunStore,
  environment: string,
  self: string,
  required: string,
): Promise<RunState | undefined> {
  for (const r of await store.listRuns({ environment })) {
    const s = foldRun(await store.read(r.runId));
    if (s.playbook.name === self || s.linked) continue;
    if (s.playbook.name === required) return s;
    // A failed or aborted run of another playbook left nothing live; a succeeded or open one is a newer release.
    if (s.status !== "failed" && s.status !== "aborted") return s;
  }
  return undefined;
}

/** Refuse `abort --rollback` of a run that a succeeded (or still open) linked run depends on, naming it. */
export async function assertNoDependents(state: RunState, opts: LocateOptions): Promise<void> {
  const located = await openStore(opts);
  try {
    for (const r of await located.store.listRuns()) {
      if (r.runId === state.runId) continue;
      const s = foldRun(await located.store.read(r.runId));
      if (s.linked?.requires !== state.runId || s.status === "failed" || s.status === "aborted") continue;
      throw new CutoverError(
        ErrorCode.RunState,
        `run ${s.runId} (playbook ${s.playbook.name}, ${s.status}) depends on run ${state.runId}: ` +
          `rolling ${state.runId} back would put the old version on an environment ${s.playbook.name} has cleaned up`,
        { hint: `release the previous version with a new run instead, or first undo ${s.runId} if it can be undone` },
      );
    }
  } finally {
    await located.close();
  }
}
