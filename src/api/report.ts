/**
 * The run report (`cutover report`, and the typed model any other view can draw): the
 * timeline of one run folded from its journal, with machine time and human
 * wait kept apart. Each attempt, each undo, each pause and who ended it, each
 * person's action. Pure over the events (docs/design.md invariant 8: output
 * is a view of the events); the journal is already redacted, and the model
 * holds no params at all.
 */
import type { Actor, RunEvent } from "../engine/events.js";
import { foldRun } from "../engine/reducer.js";
import type { RunStore } from "../core/run-store.js";
import type { Json } from "../core/json.js";
import type { Redactor } from "../engine/redact.js";
import {
  ms,
  totals,
  type AttemptResult,
  type ReportAction,
  type ReportNotification,
  type ReportStep,
  type ReportWait,
  type RunReport,
} from "./report-model.js";

/** A pause for a person; any other (`--until`: a pipeline stage ended) is time the run stood stopped. */
const WAIT_OF_PAUSE: Record<string, ReportWait["kind"] | undefined> = {
  approval: "gate",
  failure: "decision",
  "resume-policy": "resume-policy",
};

const who = (a: Actor | undefined): string | undefined => (a ? `${a.user}@${a.host}` : undefined);

/**
 * The report of `runId` read from `store`. `now` measures an open run. `redactor` (given the playbook file the
 * run started from) masks any secret the caller knows of: the journal is redacted when written; this guards a
 * run read by a process that knows more secrets, as status does (docs/security.md).
 */
export async function buildRunReport(
  store: RunStore,
  runId: string,
  opts: { now?: Date; redactor?: (playbookFile: string) => Redactor } = {},
): Promise<RunReport> {
  const report = reportFromEvents(await store.read(runId), opts.now);
  if (!opts.redactor) return report;
  return opts.redactor(report.playbook.file).redactJson(report as unknown as Json) as unknown as RunReport;
}

/** The report of a journal (its events in order, as a store returns them). */
export function reportFromEvents(events: RunEvent[], now: Date = new Date()): RunReport {
  const state = foldRun(events);
  const until = state.finishedAt ?? now.toISOString();
  const steps = new Map<string, ReportStep>();
  const stepOf = (id: string): ReportStep => {
    let st = steps.get(id);
    if (!st) {
      const s = state.steps[id];
      st = { id, stepId: s?.stepId ?? id, matrix: s?.matrix, status: s?.status ?? "pending", attempts: [], undos: [] };
      steps.set(id, st);
    }
    return st;
  };
  for (const id of state.order) stepOf(id);
  const waits: ReportWait[] = [];
  const actions: ReportAction[] = [];
  const notifications: ReportNotification[] = [];
  const backoffs: [string, string][] = [];
  const retryFrom = new Map<string, string>();
  let wait: ReportWait | undefined;
  const close = (at: string, endedBy?: ReportWait["endedBy"]) => {
    if (!wait) return;
    wait.until = at;
    wait.durationMs = ms(wait.from, at);
    if (endedBy) wait.endedBy = endedBy;
    wait = undefined;
  };
  const open = (w: Omit<ReportWait, "durationMs">) => {
    close(w.from);
    wait = { ...w, durationMs: 0 };
    waits.push(wait);
  };
  const act = (e: RunEvent, by: Actor | undefined, action: string, stepId?: string, note?: string) => {
    actions.push({
      at: e.at,
      by: who(by) ?? "cutover",
      action,
      ...(stepId ? { stepId } : {}),
      ...(note ? { note } : {}),
    });
  };
  const lastAttempt = (id: string) => stepOf(id).attempts.at(-1);
  const lastUndo = (id: string) => stepOf(id).undos.at(-1);
  const endRunning = (at: string, result: AttemptResult) => {
    for (const st of steps.values()) {
      const a = st.attempts.at(-1);
      if (a?.result === "running") Object.assign(a, { result, endedAt: at, durationMs: ms(a.startedAt, at) });
      const u = st.undos.at(-1);
      if (u?.result === "running" && u.startedAt)
        Object.assign(u, { result: "lost", endedAt: at, durationMs: ms(u.startedAt, at) });
    }
  };

  for (const e of events) {
    switch (e.type) {
      case "step.started": {
        if (wait) close(e.at, wait.kind === "stopped" ? undefined : { action: "run continued" });
        const prev = lastAttempt(e.stepId);
        if (prev?.result === "running") prev.result = "lost"; // the process died during it: no end was journaled
        const from = retryFrom.get(e.stepId);
        if (from) backoffs.push([from, e.at]);
        retryFrom.delete(e.stepId);
        stepOf(e.stepId).attempts.push({ attempt: e.attempt, startedAt: e.at, result: "running" });
        break;
      }
      case "step.succeeded":
      case "step.failed": {
        const a = lastAttempt(e.stepId);
        if (!a) break;
        a.endedAt = e.at;
        a.durationMs = e.durationMs;
        if (e.type === "step.succeeded") a.result = "succeeded";
        else {
          a.result = e.error.code === "CANCELLED" ? "cancelled" : "failed";
          a.error = { code: e.error.code, message: e.error.message };
          if (e.retryInMs !== undefined) {
            a.retryInMs = e.retryInMs;
            retryFrom.set(e.stepId, e.at);
          }
        }
        break;
      }
      case "step.skipped":
        stepOf(e.stepId).skipped = { reason: e.reason, by: who(e.by), note: e.note, at: e.at };
        if (e.reason === "operator") act(e, e.by, "skip", e.stepId, e.note);
        break;
      case "run.paused":
        open({
          kind: WAIT_OF_PAUSE[e.reason] ?? "stopped",
          stepId: e.stepId,
          message: e.message,
          from: e.at,
        });
        break;
      case "gate.approved": {
        stepOf(e.stepId).approvedBy = who(e.by);
        const waiting = wait?.kind === "gate" && wait.stepId === e.stepId;
        if (waiting) close(e.at, { action: "approved", by: who(e.by), note: e.note });
        act(e, e.by, waiting ? "approve" : "approve in advance", e.stepId, e.note);
        break;
      }
      case "gate.preapproved":
        stepOf(e.stepId).approvedBy = who(e.by);
        act(e, e.by, "approve ahead", e.stepId, e.note);
        break;
      case "run.decision":
        close(e.at, { action: e.decision, by: who(e.by), note: e.note });
        act(e, e.by, e.decision, e.stepId, e.note);
        break;
      case "abort.requested":
        close(e.at, { action: "abort", by: who(e.by), note: e.reason });
        act(e, e.by, "abort", undefined, e.reason);
        break;
      case "abort.data-loss-accepted":
        act(e, e.by, "accept data loss", undefined, e.reason);
        break;
      case "run.interrupted":
        endRunning(e.at, "interrupted");
        open({ kind: "stopped", stepId: e.stepId, message: `interrupted (${e.signal})`, from: e.at });
        break;
      case "run.resumed":
        if (wait) close(e.at, { action: "resumed", by: who(e.by) });
        act(e, e.by, e.playbookChanged ? "resume (changed playbook)" : "resume");
        break;
      case "run.forced":
        act(e, e.by, `${e.command} --force (newer run ${e.newerRun})`, undefined, e.reason);
        break;
      case "run.superseded":
        act(e, e.by, `supersede by run ${e.supersededBy}`);
        break;
      case "lease.forced":
        act(e, e.by, "take over the lease", undefined, e.previousHolder);
        break;
      case "undo.started": {
        if (wait) close(e.at, { action: "run continued" });
        const prev = lastUndo(e.stepId);
        if (prev?.result === "running") prev.result = "lost";
        stepOf(e.stepId).undos.push({ attempt: e.attempt, startedAt: e.at, result: "running" });
        break;
      }
      case "undo.succeeded":
      case "undo.failed": {
        const u = lastUndo(e.stepId);
        if (!u) break;
        u.endedAt = e.at;
        u.durationMs = e.durationMs;
        u.result = e.type === "undo.succeeded" ? "succeeded" : "failed";
        if (e.type === "undo.failed") u.error = { code: e.error.code, message: e.error.message };
        break;
      }
      case "undo.skipped":
        stepOf(e.stepId).undos.push({ result: "skipped", reason: e.reason, endedAt: e.at });
        if (e.reason === "operator") act(e, e.by, "skip undo", e.stepId);
        break;
      case "notify.sent":
      case "notify.failed": {
        const { key, target, event, eventSeq, attempts } = e;
        const n: ReportNotification = { key, target, event, eventSeq, attempts, at: e.at, result: "sent" };
        if (e.type === "notify.sent") n.status = e.status;
        else Object.assign(n, { result: "failed", error: { code: e.error.code, message: e.error.message } });
        notifications.push(n);
        break;
      }
      case "run.finished":
        close(e.at);
        endRunning(e.at, "lost");
        break;
      default:
        break; // run.started, run.admitted, run.linked, checkpoints: no time of their own
    }
  }
  if (wait) (wait as ReportWait).durationMs = ms((wait as ReportWait).from, until);
  const ordered = state.order.map((id) => stepOf(id));
  return {
    reportVersion: 1,
    runId: state.runId,
    playbook: state.playbook,
    environment: state.environment,
    status: state.status,
    ...(state.outcome ? { outcome: state.outcome } : {}),
    ...(state.error ? { error: { code: state.error.code, message: state.error.message } } : {}),
    startedAt: state.startedAt,
    ...(state.finishedAt ? { finishedAt: state.finishedAt } : {}),
    startedBy: who(state.startedBy)!,
    until,
    steps: ordered,
    waits,
    actions,
    notifications,
    totals: totals(state.startedAt, until, ordered, waits, backoffs),
  };
}
