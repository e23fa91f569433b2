/**
 * The run view's timeline: one entry per journal event a person cares about (steps, undos, pauses, decisions),
 * with who did it and how long it took. Checkpoints and bookkeeping events are left out. Plain data: the page
 * puts every string in as text, never as HTML.
 */
import type { RunEvent } from "../engine/events.js";

export interface TimelineEntry {
  at: string;
  /** What kind of moment: colours the entry (ok, failed, waiting, decision, undo, info). */
  kind: "ok" | "failed" | "waiting" | "decision" | "undo" | "info";
  text: string;
  stepId?: string;
  /** Who acted (a decision, an approval), as user@host. */
  by?: string;
  durationMs?: number;
}

const who = (a: { user: string; host: string } | undefined): string | undefined =>
  a ? `${a.user}@${a.host}` : undefined;
const withNote = (text: string, note: string | undefined): string => (note ? `${text}: ${note}` : text);

function entryOf(e: RunEvent): Omit<TimelineEntry, "at"> | undefined {
  switch (e.type) {
    case "run.started":
      return { kind: "info", text: `run started (${e.playbook.name}, environment ${e.environment})`, by: who(e.by) };
    case "run.resumed":
      return { kind: "info", text: e.playbookChanged ? "resumed with a changed playbook" : "resumed", by: who(e.by) };
    case "step.started":
      return { kind: "info", stepId: e.stepId, text: `${e.stepId} started (attempt ${e.attempt})` };
    case "step.succeeded":
      return {
        kind: "ok",
        stepId: e.stepId,
        text: `${e.stepId} succeeded${e.effect ? `: ${e.effect}` : ""}`,
        durationMs: e.durationMs,
      };
    case "step.failed":
      return {
        kind: "failed",
        stepId: e.stepId,
        text: `${e.stepId} failed: ${e.error.message}${e.retryInMs !== undefined ? " (will retry)" : ""}`,
        durationMs: e.durationMs,
      };
    case "step.skipped":
      return {
        kind: "info",
        stepId: e.stepId,
        text: withNote(`${e.stepId} skipped (${e.reason})`, e.note),
        by: who(e.by),
      };
    case "run.paused":
      return { kind: "waiting", stepId: e.stepId, text: `paused: ${e.message}` };
    case "gate.approved":
      return { kind: "decision", stepId: e.stepId, text: withNote(`${e.stepId} approved`, e.note), by: who(e.by) };
    case "gate.preapproved":
      return {
        kind: "decision",
        stepId: e.stepId,
        text: withNote(`${e.stepId} approved ahead`, e.note),
        by: who(e.by),
      };
    case "run.decision":
      return {
        kind: "decision",
        stepId: e.stepId,
        text: withNote(`${e.decision}${e.stepId ? ` ${e.stepId}` : ""}`, e.note),
        by: who(e.by),
      };
    case "abort.requested":
      return { kind: "decision", text: withNote("abort requested", e.reason), by: who(e.by) };
    case "undo.succeeded":
      return { kind: "undo", stepId: e.stepId, text: `${e.stepId} undone`, durationMs: e.durationMs };
    case "undo.failed":
      return {
        kind: "failed",
        stepId: e.stepId,
        text: `undo of ${e.stepId} failed: ${e.error.message}`,
        durationMs: e.durationMs,
      };
    case "undo.skipped":
      return { kind: "undo", stepId: e.stepId, text: `undo of ${e.stepId} skipped (${e.reason})`, by: who(e.by) };
    case "run.interrupted":
      return { kind: "waiting", stepId: e.stepId, text: `interrupted (${e.signal})` };
    case "lease.forced":
      return { kind: "info", text: `lease taken over from ${e.previousHolder ?? "an unknown holder"}`, by: who(e.by) };
    case "run.forced":
      return {
        kind: "decision",
        text: withNote(`${e.command} forced past newer run ${e.newerRun}`, e.reason),
        by: who(e.by),
      };
    case "run.superseded":
      return { kind: "info", text: `superseded by run ${e.supersededBy}`, by: who(e.by) };
    case "abort.data-loss-accepted":
      return { kind: "decision", text: `data loss accepted: ${e.reason}`, by: who(e.by) };
    case "run.finished":
      return {
        kind: e.outcome === "succeeded" ? "ok" : "failed",
        text: `run ${e.outcome}${e.error ? `: ${e.error.message}` : ""}`,
      };
    default:
      return undefined; // checkpoints, admission, links: bookkeeping
  }
}

/** The timeline of a run's events, oldest first. */
export function buildTimeline(events: RunEvent[]): TimelineEntry[] {
  const out: TimelineEntry[] = [];
  for (const e of events) {
    const entry = entryOf(e);
    if (entry) out.push({ at: e.at, ...entry });
  }
  return out;
}
