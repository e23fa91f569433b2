/**
 * The Markdown report of a run that GitHub Actions shows on the job's summary page ($GITHUB_STEP_SUMMARY, see
 * "Adding a job summary" in "Workflow commands for GitHub Actions"): each step with status and duration, who
 * approved, the result, and what `cutover abort` would undo. Azure Pipelines shows the same file through
 * `##vso[task.uploadsummary]`. Everything in it comes from the journal, where secrets are already redacted.
 */
import { abortPreview } from "../../api/inspect.js";
import { formatDuration } from "../../playbook/duration.js";
import type { RunState, StepState } from "../../engine/reducer.js";
import type { LoadedPlaybook } from "../../playbook/validate.js";
import { approvals, outcomeOf, resultSentence } from "./run-facts.js";
import { UNDO_SKIP } from "./describe-event.js";

/** Text safe inside a Markdown table cell: no pipe, no line break, no HTML. */
function mdCell(text: string): string {
  return text
    .replaceAll("&", "&amp;")
    .replaceAll("<", "&lt;")
    .replaceAll(">", "&gt;")
    .replaceAll("\\", "\\\\")
    .replaceAll("|", "\\|")
    .replace(/\r?\n|\r/g, " ")
    .replaceAll("`", "'");
}

const ICON: Record<string, string> = {
  succeeded: "✅ succeeded",
  failed: "❌ failed",
  skipped: "⏭️ skipped",
  running: "⏳ running",
  pending: "· not run",
};

function stepStatus(st: StepState, state: RunState): string {
  if (state.pause?.stepId === st.id && (st.status === "pending" || st.status === "running")) return "⏸️ waiting";
  if (st.status === "running" && state.status !== "running") return "■ stopped";
  return ICON[st.status] ?? st.status;
}

function undoCell(st: StepState): string {
  switch (st.undo.status) {
    case "pending":
      return "";
    case "skipped":
      return UNDO_SKIP[st.undo.reason ?? ""] ?? "skipped";
    case "failed":
      return `❌ undo failed${st.undo.error ? `: ${st.undo.error.message}` : ""}`;
    default:
      return `↶ undo ${st.undo.status}`;
  }
}

/** GitHub takes 1 MiB of summary per step: a cell quotes the start of a long message (the log has it whole). */
const MAX_NOTE = 400;
const cut = (s: string): string => (s.length > MAX_NOTE ? `${s.slice(0, MAX_NOTE)}…` : s);

function note(st: StepState): string {
  if (st.error && st.status === "failed") return `[${st.error.code}] ${st.error.message}`;
  if (st.status === "skipped") return st.skipReason ?? "";
  if (st.approvedBy) return `approved by ${st.approvedBy.user}`;
  return "";
}

const LEFT: Record<string, string> = { none: "no undo", disabled: "undo: false", irreversible: "point of no return" };

const RESULT_ICON = { succeeded: "✅", failed: "❌", aborted: "↶", paused: "⏸️" } as Record<string, string>;
const resultIcon = (s: RunState) =>
  outcomeOf(s) === "ok" && s.status === "paused" ? "⏹" : (RESULT_ICON[s.status] ?? "■");

export function stepSummaryMarkdown(state: RunState, loaded: LoadedPlaybook | undefined, decisions: string[]): string {
  const steps = state.order.map((id) => state.steps[id]!);
  const withUndo = steps.some((st) => st.undo.status !== "pending");
  const head = withUndo
    ? "| Step | Status | Duration | Attempts | Undo | Note |"
    : "| Step | Status | Duration | Attempts | Note |";
  const rule = withUndo ? "|---|---|---:|---:|---|---|" : "|---|---|---:|---:|---|";
  const rows = steps.map((st) => {
    const cells = [
      `\`${mdCell(st.id)}\``,
      stepStatus(st, state),
      st.attempts ? formatDuration(st.durationMs) : "",
      st.attempts ? String(st.attempts) : "",
      ...(withUndo ? [mdCell(undoCell(st))] : []),
      mdCell(cut(note(st))),
    ];
    return `| ${cells.join(" | ")} |`;
  });
  const out = [
    `### cutover: ${mdCell(state.playbook.name)} → ${mdCell(state.environment)}, run \`${state.runId}\``,
    "",
    `**Result:** ${resultIcon(state)} ${mdCell(resultSentence(state, loaded))}`,
    "",
    head,
    rule,
    ...rows,
    "",
  ];
  const who = [
    ...approvals(state),
    ...decisions,
    ...(state.abortRequested
      ? [
          `abort requested by ${state.abortRequested.by.user}${state.abortRequested.reason ? `: ${state.abortRequested.reason}` : ""}`,
        ]
      : []),
  ];
  out.push("**Approvals and decisions:**", "", ...(who.length ? who.map((w) => `- ${mdCell(w)}`) : ["- none"]), "");
  if (state.status !== "aborted") {
    const preview = abortPreview(state, loaded);
    const verb =
      state.status === "succeeded" ? `cutover abort ${state.runId} --rollback` : `cutover abort ${state.runId}`;
    out.push(`**What \`${verb}\` would undo**, in order:`, "");
    const undo = preview.filter((p) => p.undo === "recorded" || p.undo === "override");
    const left = preview.filter((p) => p.undo !== "recorded" && p.undo !== "override");
    if (undo.length === 0) out.push("- nothing to undo");
    for (const p of undo)
      out.push(
        `- \`${mdCell(p.id)}\` (${mdCell(p.action)})${p.behindBarrier ? `: only with --accept-data-loss (behind barrier ${mdCell(p.behindBarrier)})` : ""}`,
      );
    if (left.length)
      out.push(`- left in place: ${left.map((p) => `\`${mdCell(p.id)}\` (${LEFT[p.undo] ?? p.undo})`).join(", ")}`);
    out.push("");
  }
  return out.join("\n") + "\n";
}
