/**
 * Fold a run's journal from the snapshot its cache holds (api/run-cache.ts): read only the events after it and
 * apply them to the snapshot's state. The snapshot is trusted only while the journal still begins with the very
 * bytes it folded (length and SHA-256: FileRunStore.readAfter); a journal replaced, cut or edited since is folded
 * from the start, so damage anywhere in it is still reported.
 */
import type { FileRunStore } from "../providers/file/run-store.js";
import { applyEvent, foldRun, type RunState } from "../engine/reducer.js";
import type { FoldSnapshot } from "./run-cache.js";

/**
 * The run's state, and the snapshot to keep: the given one while the journal has not moved, a new one at its
 * end otherwise. Even a short journal gets one: reading it through the snapshot parses nothing, so the journal's
 * checker (zod) is not loaded at all, which costs more than folding a few hundred events.
 * Throws as `store.read` does (RUN_NOT_FOUND, JOURNAL_CORRUPT).
 */
export async function foldFromSnapshot(
  store: FileRunStore,
  runId: string,
  snapshot: FoldSnapshot | undefined,
): Promise<{ state: RunState; snapshot?: FoldSnapshot }> {
  const after = snapshot && (await store.readAfter(runId, snapshot.prefix, new Set(Object.keys(snapshot.state.steps))));
  if (snapshot && after) {
    if (after.length === 0) return { state: snapshot.state, snapshot };
    // The snapshot came from JSON just now: its state is this caller's to fold on.
    const state = snapshot.state;
    for (const e of after) applyEvent(state, e);
    return { state, snapshot: await snapshotOf(store, state) };
  }
  const events = await store.read(runId);
  const state = foldRun(events);
  return { state, snapshot: await snapshotOf(store, state) };
}

/** A snapshot of `state`, with the journal's bytes up to its last event (undefined if the journal lacks it). */
export async function snapshotOf(store: FileRunStore, state: RunState): Promise<FoldSnapshot | undefined> {
  const prefix = await store.prefixOf(state.runId, state.lastSeq);
  return prefix && { prefix, state: structuredClone(state) };
}
