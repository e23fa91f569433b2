/**
 * Follow a run from another terminal or a CI job: read new journal events as
 * they are appended (polling the store; works for the file store and Table
 * Storage alike) until the run finishes, pauses or is interrupted. Read-only.
 */
import type { RunEvent } from "../engine/events.js";
import { applyEvent, foldRun, isFinished, type RunState } from "../engine/reducer.js";
import type { Json } from "../core/json.js";
import { pause } from "../core/timers.js";
import { openStore, tryLoad, type LocateOptions } from "./inspect.js";
import { runRedactor } from "./secrets.js";

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
    // The run's secrets, masked in what is shown (a journal written before they were all registered may hold one).
    const redactor = runRedactor(tryLoad(opts.playbook ?? state.playbook.file), opts.env ?? process.env);
    const show = (e: RunEvent) => opts.onEvent(redactor.redactJson(e as unknown as Json) as unknown as RunEvent, state);
    for (const e of events) show(e);
    while (!resting(state) && !opts.signal?.aborted) {
      await pause(opts.intervalMs ?? 500, opts.signal); // an abort ends the wait; the loop condition sees it
      for (const e of await store.read(runId, state.lastSeq)) {
        applyEvent(state, e);
        show(e);
      }
    }
    return redactor.redactJson(state as unknown as Json) as unknown as RunState;
  } finally {
    await close();
  }
}

function resting(s: RunState): boolean {
  return isFinished(s) || s.status === "paused" || s.status === "interrupted";
}
