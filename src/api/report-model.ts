/**
 * The run report's model (what `cutover report -o json` prints and `buildRunReport` returns) and how its time
 * totals are summed. Built by report.ts; drawn by report-md.ts and report-html.ts.
 */
import type { RunStatus } from "../engine/reducer.js";
import type { Json } from "../core/json.js";
import { coveredMs } from "../core/intervals.js";

export const ms = (from: string, to: string): number => Math.max(0, Date.parse(to) - Date.parse(from));

export type AttemptResult = "running" | "succeeded" | "failed" | "cancelled" | "interrupted" | "lost";

export interface ReportAttempt {
  attempt: number;
  startedAt: string;
  /** Absent while running, or when the process died during it (result `lost`). */
  endedAt?: string;
  /** Machine time of the attempt (the engine's measure; wall time between the two events otherwise). */
  durationMs?: number;
  result: AttemptResult;
  error?: { code: string; message: string };
  /** The engine retried after this delay. */
  retryInMs?: number;
}

export interface ReportUndo {
  attempt?: number;
  startedAt?: string;
  endedAt?: string;
  durationMs?: number;
  result: "running" | "succeeded" | "failed" | "skipped" | "lost";
  /** Why it was skipped (nothing-to-undo, no-undo, not-completed, barrier, operator...). */
  reason?: string;
  error?: { code: string; message: string };
}

export interface ReportStep {
  id: string;
  stepId: string;
  matrix?: Record<string, Json>;
  status: string;
  attempts: ReportAttempt[];
  undos: ReportUndo[];
  skipped?: { reason: string; by?: string; note?: string; at: string };
  approvedBy?: string;
}

/** A span of time the run stood still waiting for a person, or with nothing running it. */
export interface ReportWait {
  /** gate: an approval gate; decision: a failed step waits for retry/skip/abort; resume-policy: ask a person;
   *  stopped: interrupted (Ctrl-C, SIGTERM) or stopped by `--until`, until resumed. */
  kind: "gate" | "decision" | "resume-policy" | "stopped";
  stepId?: string;
  message?: string;
  from: string;
  /** Absent while still waiting. */
  until?: string;
  durationMs: number;
  /** What ended it: approved, retry, skip, abort, resumed, run continued. */
  endedBy?: { action: string; by?: string; note?: string };
}

/** Something a person (or a pipeline acting as one) did to the run. */
export interface ReportAction {
  at: string;
  /** user@host */
  by: string;
  action: string;
  stepId?: string;
  note?: string;
}

export interface ReportNotification {
  key: string;
  target: number;
  event: string;
  eventSeq: number;
  at: string;
  result: "sent" | "failed";
  attempts: number;
  status?: number;
  error?: { code: string; message: string };
}

export interface RunReport {
  reportVersion: 1;
  runId: string;
  playbook: { name: string; file: string; hash: string };
  environment: string;
  status: RunStatus;
  outcome?: string;
  error?: { code: string; message: string };
  startedAt: string;
  finishedAt?: string;
  startedBy: string;
  /** The time the report measured an open run up to (finishedAt for a finished one). */
  until: string;
  steps: ReportStep[];
  waits: ReportWait[];
  actions: ReportAction[];
  notifications: ReportNotification[];
  totals: ReportTotals;
}

export interface ReportTotals {
  /** From run.started to run.finished (or `until`). */
  wallMs: number;
  /** wall minus human wait and stopped time: cutover was working (executing, backing off, in between). */
  machineMs: number;
  /** Steps' attempts running (overlapping parallel attempts counted once). */
  executingMs: number;
  /** Undos running. */
  undoingMs: number;
  /** Waiting between a failed attempt and its automatic retry. */
  retryBackoffMs: number;
  /** Waiting for a person: gates, failed steps awaiting a decision, resume-policy pauses. */
  humanWaitMs: number;
  /** Interrupted, nothing running it, until someone resumed. */
  stoppedMs: number;
}

export function totals(
  startedAt: string,
  until: string,
  steps: ReportStep[],
  waits: ReportWait[],
  backoffs: [string, string][],
): ReportTotals {
  const wallMs = ms(startedAt, until);
  const spans = (pick: (s: ReportStep) => { startedAt?: string; endedAt?: string }[]) =>
    steps
      .flatMap(pick)
      .flatMap((x) => (x.startedAt && x.endedAt ? [[x.startedAt, x.endedAt] as [string, string]] : []));
  const sum = (kinds: ReportWait["kind"][]) =>
    waits.filter((w) => kinds.includes(w.kind)).reduce((t, w) => t + w.durationMs, 0);
  const humanWaitMs = sum(["gate", "decision", "resume-policy"]);
  const stoppedMs = sum(["stopped"]);
  return {
    wallMs,
    machineMs: Math.max(0, wallMs - humanWaitMs - stoppedMs),
    executingMs: union(spans((s) => s.attempts)),
    undoingMs: union(spans((s) => s.undos)),
    retryBackoffMs: union(backoffs),
    humanWaitMs,
    stoppedMs,
  };
}

/** Total length of the union of [from, to] spans (parallel attempts overlap: count each moment once). */
function union(spans: [string, string][]): number {
  return coveredMs(spans.map(([a, b]) => [Date.parse(a), Date.parse(b)] as const));
}
