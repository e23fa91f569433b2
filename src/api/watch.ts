/**
 * Follow a run from another terminal or a CI job: read new journal events as
 * they are appended (polling the store; works for the file store and Table
 * Storage alike) until the run finishes, pauses or is interrupted. Read-only.
 */
import type { RunEvent } from "../engine/events.js";
import { applyEvent, foldRun, isFinished, type RunState } from "../engine/reducer.js";
import { openStore, type LocateOptions } from "./inspect.js";

export interface WatchOptions extends LocateOptions {
  intervalMs?: number;
  signal?: AbortSignal;
  onEvent(e: RunEvent, state: RunState): void;
}

/** Resolves with the state at the first resting point (finished, paused or interrupted) at or after now. */
export async function watchRun(runId: string, opts: WatchOptions): Promise<RunState> {
  const { store, close } = await openStore(opts);
  try {
    const events = await store.read(runId);
    const state = foldRun(events);
    for (const e of events) opts.onEvent(e, state);
    while (!resting(state) && !opts.signal?.aborted) {
      await new Promise((r) => setTimeout(r, opts.intervalMs ?? 500));
      for (const e of await store.read(runId, state.lastSeq)) {
        applyEvent(state, e);
        opts.onEvent(e, state);
      }
    }
    return state;
  } finally {
    await close();
  }
}

function resting(s: RunState): boolean {
  return isFinished(s) || s.status === "paused" || s.status === "interrupted";
}
