/**
 * Which run `resume`, `abort`, `approve`, `retry`, `skip` and `step` act on when no run id is given: the
 * environment's open run (its latest run, not finished). With `-f <playbook>` that is its environment's; without,
 * the only open run in the state directory. Several open runs in different environments are never guessed
 * between: the command is refused (exit 2) with each candidate, so nobody aborts the wrong release.
 */
import { CutoverError, ErrorCode } from "../core/errors.js";
import { foldRun, isFinished, type RunState } from "../engine/reducer.js";
import { whereItStands } from "./admission.js";
import { openStore, type LocateOptions } from "./inspect.js";

export interface ChosenRun {
  runId: string;
  environment: string;
  /** Where it stands, in words ("paused at step gate"). */
  where: string;
}

/**
 * The open run the command means. `finished: true` (abort --rollback) takes the environment's latest run even
 * when it finished.
 */
export async function chooseOpenRun(opts: LocateOptions & { finished?: boolean }): Promise<ChosenRun> {
  const { store, loaded, close } = await openStore(opts);
  try {
    const runs = await store.listRuns(loaded ? { environment: loaded.environment } : {});
    const latest = new Map<string, string>(); // environment → its newest run (runs come newest first)
    for (const r of runs) if (!latest.has(r.environment)) latest.set(r.environment, r.runId);
    const candidates: RunState[] = [];
    for (const runId of latest.values()) {
      const state = foldRun(await store.read(runId));
      if (opts.finished || !isFinished(state)) candidates.push(state);
    }
    const where = loaded ? `environment ${loaded.environment} (${opts.playbook})` : opts.stateDir;
    const [only] = candidates;
    if (!only) {
      throw new CutoverError(ErrorCode.RunNotFound, `no open run in ${where}: name the run`, {
        hint: loaded
          ? "list its runs with `cutover runs -f <playbook>`"
          : "list runs with `cutover runs`; a run kept in a shared store (postgres, Azure) needs -f <playbook>",
      });
    }
    if (candidates.length > 1) {
      const list = candidates.map((s) => `${s.runId} (environment ${s.environment}, ${whereItStands(s)})`);
      throw new CutoverError(
        ErrorCode.Usage,
        `${candidates.length} environments have an open run in ${where}; say which:\n  ${list.join("\n  ")}`,
        { hint: "name the run id, or -f <playbook> for its environment's run" },
      );
    }
    return { runId: only.runId, environment: only.environment, where: whereItStands(only) };
  } finally {
    await close();
  }
}
