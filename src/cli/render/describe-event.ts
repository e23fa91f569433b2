/** One human sentence per event, shared by the plain renderer and `status`. */
import type { RunEvent } from "../../engine/events.js";
import { formatDuration } from "../../playbook/duration.js";

export function describeEvent(e: RunEvent): string | undefined {
  switch (e.type) {
    case "run.started":
      return (
        `run ${e.runId} started: playbook ${e.playbook.name}, environment ${e.environment}, ${e.steps.length} ` +
        `steps, by ${e.by.user}@${e.by.host}`
      );
    case "step.started":
      return `${e.stepId}: started${e.attempt > 1 ? ` (attempt ${e.attempt})` : ""}`;
    case "step.succeeded":
      return `${e.stepId}: succeeded in ${formatDuration(e.durationMs)}`;
    case "step.failed":
      return (
        `${e.stepId}: failed (attempt ${e.attempt}): [${e.error.code}] ` +
        `${e.error.message}${e.retryInMs !== undefined ? `; retrying in ${formatDuration(e.retryInMs)}` : ""}`
      );
    case "step.skipped":
      return `${e.stepId}: skipped (${e.reason}${e.by ? ` by ${e.by.user}` : ""}${e.note ? `: ${e.note}` : ""})`;
    case "step.checkpoint":
    case "undo.checkpoint":
      return undefined;
    case "run.paused":
      return `paused: ${e.message}`;
    case "run.decision":
      return `${e.by.user} decided to ${e.decision}${e.stepId ? ` ${e.stepId}` : ""}${e.note ? `: ${e.note}` : ""}`;
    case "gate.approved":
      return `${e.stepId}: approved by ${e.by.user}@${e.by.host}${e.note ? `: ${e.note}` : ""}`;
    case "run.interrupted":
      return `interrupted by ${e.signal}; resume with: cutover resume ${e.runId}`;
    case "abort.requested":
      return (
        `abort requested by ${e.by.user}${e.reason ? `: ${e.reason}` : ""}; ` +
        `undoing completed steps in reverse order`
      );
    case "undo.started":
      return `${e.stepId}: undoing${e.attempt > 1 ? ` (attempt ${e.attempt})` : ""}`;
    case "undo.succeeded":
      return `${e.stepId}: undone in ${formatDuration(e.durationMs)}`;
    case "undo.failed":
      return `${e.stepId}: undo failed: [${e.error.code}] ${e.error.message}`;
    case "undo.skipped":
      // Every step abort passes over is said, with why (issue 9): a check or wait too.
      return `${e.stepId}: ${UNDO_SKIP[e.reason]}`;
    case "abort.data-loss-accepted":
      return `${e.by.user}@${e.by.host} accepted losing the data written since ${e.barriers
        .map((b) => `${b.stepId} (${b.reason}; passed ${b.passedAt})`)
        .join(", ")}: ${e.reason}`;
    case "run.linked":
      return `depends on run ${e.requires} (playbook ${e.playbook}, environment ${e.environment})`;
    case "run.admitted":
      return e.supersedes
        ? `supersedes run ${e.supersedes} (generation ${e.generation} of the environment); it left changed, not ` +
            `undone: ${e.leftChanged?.join(", ") || "nothing"}`
        : undefined;
    case "run.superseded":
      return (
        `superseded by run ${e.supersededBy} (${e.by.user}@${e.by.host}); left changed: ` +
        `${e.leftChanged.join(", ") || "nothing"}`
      );
    case "run.forced":
      return (
        `${e.command} forced by ${e.by.user}@${e.by.host} although ${e.newerRun} is ` +
        `newer${e.reason ? `: ${e.reason}` : ""}`
      );
    case "gate.preapproved":
      return `${e.stepId}: approved ahead by ${e.by.user}@${e.by.host}${e.note ? `: ${e.note}` : ""}`;
    case "lease.forced":
      return (
        `lease of ${e.environment} taken over by ` +
        `${e.by.user}@${e.by.host}${e.previousHolder ? ` from ${e.previousHolder}` : ""}`
      );
    case "run.resumed":
      return `resumed by ${e.by.user}@${e.by.host}${e.playbookChanged ? " with a CHANGED playbook" : ""}`;
    case "run.finished":
      return `run ${e.runId} ${e.outcome}${e.error ? `: ${e.error.message}` : ""}`;
    case "notify.sent":
      return `notify[${e.target}]: ${e.event} delivered (HTTP ${e.status})`;
    case "notify.failed":
      return `${e.error.message}: not delivered (the run is not affected)`;
  }
}

export const UNDO_SKIP: Record<string, string> = {
  "no-undo": "left in place (it has no undo)",
  "nothing-to-undo": "nothing to undo",
  "point-of-no-return": "left in place (point of no return)",
  operator: "undo skipped by the operator; left in place",
  "not-completed": "did not complete, so it has no record to undo from; check it by hand",
  barrier: "left in place: it came before a data barrier the run passed (undoing it would lose what users wrote since)",
};
