/**
 * A run as `cutover status` shows it, read from the project's file store with the run's cache
 * (api/run-cache.ts): the journal folded from its last snapshot, the playbook's facts reused while the file is
 * unchanged. Only a cache miss loads the actions to derive the facts again (api/status-facts-build.ts), so the
 * common look at a run loads neither the actions nor the YAML parser: the on-call's `status` has a 100 ms budget
 * (bench/engine/RESULTS.md). What it returns is what api/inspect.ts readRun + abortPreview return for the same
 * run; test/api/status-cache.test.ts holds them to that.
 */
import { CutoverError, ErrorCode, isCutoverError } from "../core/errors.js";
import type { LeaseInfo } from "../core/run-store.js";
import type { RunState } from "../engine/reducer.js";
import { MAX_PLAYBOOK_BYTES, playbookHash, readRegularFile } from "../playbook/input-file.js";
import { FileRunStore } from "../providers/file/run-store.js";
import { foldFromSnapshot } from "./fold-cache.js";
import { readRunCache, writeRunCache, type RunCache } from "./run-cache.js";
import { abortPreviewFrom, factsRedactor, paramsKey, redactState, type AbortPreview } from "./status-facts.js";
import type { PlaybookFacts } from "./status-facts.js";

export interface RunView {
  /** Secrets masked. */
  state: RunState;
  lease?: LeaseInfo;
  /** What `cutover abort` would undo now, in order, and what it would leave. */
  undo: AbortPreview[];
}

export async function readRunView(
  runId: string,
  opts: { stateDir: string; env?: NodeJS.ProcessEnv },
): Promise<RunView> {
  const store = new FileRunStore({ dir: opts.stateDir });
  const cache = await readRunCache(opts.stateDir, runId);
  let folded: Awaited<ReturnType<typeof foldFromSnapshot>>;
  try {
    folded = await foldFromSnapshot(store, runId, cache.fold);
  } catch (e) {
    if (isCutoverError(e, ErrorCode.RunNotFound) || isCutoverError(e, ErrorCode.Usage))
      throw new CutoverError(ErrorCode.RunNotFound, `no run ${runId} in ${opts.stateDir}`, {
        hint: "list runs with `cutover runs`; a run kept elsewhere (Azure Table Storage) needs --playbook <file>",
      });
    throw e;
  }
  const { state } = folded;
  const facts = await currentFacts(state, cache.playbook);
  const next: RunCache = { fold: folded.snapshot, playbook: facts ?? cache.playbook };
  if (folded.snapshot !== cache.fold || next.playbook !== cache.playbook)
    await writeRunCache(opts.stateDir, runId, next);
  const lease = await store.readLease(state.environment);
  const undo = abortPreviewFrom(state, facts?.steps);
  return { state: redactState(state, factsRedactor(facts, opts.env ?? process.env)), lease, undo };
}

/**
 * A run as `status` shows it: from the project's file store through the run's cache (`readRunView`), or from the
 * store a playbook names (`playbook`: Azure Table, PostgreSQL), which loads the playbook and its providers.
 */
export async function readStatusView(
  runId: string,
  opts: { stateDir: string; playbook?: string; env?: NodeJS.ProcessEnv },
): Promise<RunView> {
  if (!opts.playbook) return readRunView(runId, opts);
  const { abortPreview, readRun } = await import("./inspect.js");
  const { state, lease, loaded } = await readRun(runId, { ...opts, redacted: true });
  return { state, lease, undo: abortPreview(state, loaded) };
}

/** The newest run (of the project's file store, or of the store `playbook` names); RUN_NOT_FOUND when none. */
export async function newestRunId(opts: { stateDir: string; playbook?: string }): Promise<string> {
  let runId: string | undefined;
  if (opts.playbook) {
    const { listRuns } = await import("./inspect.js");
    runId = (await listRuns({ ...opts, limit: 1 }))[0]?.runId;
  } else runId = await new FileRunStore({ dir: opts.stateDir }).newestRunId();
  if (runId === undefined)
    throw new CutoverError(ErrorCode.RunNotFound, "no runs yet", { hint: "start one with `cutover run <playbook>`" });
  return runId;
}

/** The facts of the run's playbook as the file is now: the cached ones while it is unchanged. */
async function currentFacts(state: RunState, cached: PlaybookFacts | undefined): Promise<PlaybookFacts | undefined> {
  const file = state.playbook.file;
  let text: string;
  try {
    text = readRegularFile(file, MAX_PLAYBOOK_BYTES);
  } catch {
    return undefined; // gone or unreadable: nothing to derive from (the preview shows the steps as unknown)
  }
  const sha256 = playbookHash(text);
  if (cached && cached.file === file && cached.sha256 === sha256 && cached.params === paramsKey(state)) return cached;
  const { playbookFacts } = await import("./status-facts-build.js");
  return playbookFacts(file, text, state, sha256);
}
