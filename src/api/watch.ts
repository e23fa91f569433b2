/**
 * Follow a run from another terminal or a CI job: read new journal events as
 * they are appended (polling the store; works for the file store, PostgreSQL
 * and Table Storage alike) and the environment's lease. Read-only.
 */
import type { RunEvent } from "../engine/events.js";
import { applyEvent, foldRun, isFinished, type RunState } from "../engine/reducer.js";
import type { Json } from "../core/json.js";
import { isLeaseLive, type LeaseInfo } from "../core/run-store.js";
import { pause } from "../core/timers.js";
import { driverGone, openStore, tryLoad, type LocateOptions } from "./inspect.js";
import { holderIsDeadLocalProcess } from "./session.js";
import { runRedactor } from "./secrets.js";
import os from "node:os";

export interface WatchOptions extends LocateOptions {
  intervalMs?: number;
  /** Events up to this seq were seen already (a prompt that noticed a move): fold them, show only later ones. */
  afterSeq?: number;
  signal?: AbortSignal;
  onEvent(e: RunEvent, state: RunState): void;
}

/**
 * Resolves with the state at the run's next resting point: finished, or paused / interrupted / abandoned by a
 * crashed driver with no process holding its lease for it. A run already resting when the watch starts is watched
 * until it moves (someone approves, retries, resumes or aborts it, here or elsewhere) and then to its next rest:
 * `status --watch` on a paused run waits for the person deciding, it does not return at once (a run stopped by
 * `--until` is the exception: nobody is asked to move it).
 */
export async function watchRun(runId: string, opts: WatchOptions): Promise<RunState> {
  const { store, close } = await openStore(opts);
  try {
    const events = await store.read(runId);
    const state = foldRun(events);
    // The run's secrets, masked in what is shown (a journal written before they were all registered may hold one).
    const redactor = runRedactor(tryLoad(opts.playbook ?? state.playbook.file), opts.env ?? process.env);
    const show = (e: RunEvent) => opts.onEvent(redactor.redactJson(e as unknown as Json) as unknown as RunEvent, state);
    for (const e of events) if (opts.afterSeq === undefined || e.seq > opts.afterSeq) show(e);
    const from = opts.afterSeq ?? state.lastSeq;
    // A run stopped as asked (`--until`: a pipeline stage's end) is not waiting for a person: it is reported at
    // once (exit 10, docs/design.md), not watched until a later stage resumes it.
    const restingAtStart = state.pause?.reason !== "until" && atRest(state, await store.readLease(state.environment));
    let moved = !restingAtStart || events.some((e) => e.seq > from && movesTheRun(e));
    while (!isFinished(state) && !opts.signal?.aborted) {
      await pause(opts.intervalMs ?? 500, opts.signal); // an abort ends the wait; the loop condition sees it
      for (const e of await store.read(runId, state.lastSeq)) {
        applyEvent(state, e);
        show(e);
        if (movesTheRun(e)) moved = true;
      }
      if (moved && atRest(state, await store.readLease(state.environment))) break;
    }
    return redactor.redactJson(state as unknown as Json) as unknown as RunState;
  } finally {
    await close();
  }
}

/**
 * Whether an event is the run moving on (a decision, a resume, a step, an undo...), not bookkeeping written while
 * it rests: a webhook delivered for the pause, a gate approved ahead.
 */
function movesTheRun(e: RunEvent): boolean {
  return e.type !== "notify.sent" && e.type !== "notify.failed" && e.type !== "gate.preapproved";
}

/** Nothing will move the run until a person does: finished, or stopped with no live driver holding its lease. */
function atRest(s: RunState, lease: LeaseInfo | undefined): boolean {
  if (isFinished(s)) return true;
  if (s.status === "running" || s.status === "aborting") return driverGone(s, lease);
  const driven = isLeaseLive(lease) && lease.runId === s.runId && !holderIsDeadLocalProcess(lease, os.hostname());
  return !driven;
}

export interface MovedOptions extends LocateOptions {
  intervalMs?: number;
  signal?: AbortSignal;
}

/**
 * The events appended to a run's journal after `afterSeq`, as soon as one of them moves the run (polled): how an
 * open prompt learns that another process decided for it. Resolves with [] when `signal` aborts first.
 */
export async function journalMoved(runId: string, afterSeq: number, opts: MovedOptions): Promise<RunEvent[]> {
  const { store, close } = await openStore(opts);
  try {
    while (!opts.signal?.aborted) {
      const events = await store.read(runId, afterSeq);
      if (events.some(movesTheRun)) return events;
      await pause(opts.intervalMs ?? 500, opts.signal);
    }
    return [];
  } finally {
    await close();
  }
}
