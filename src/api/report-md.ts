/** The run report as Markdown (`cutover report --format md`): tables a pull request, a wiki or a CI summary shows. */
import { formatDuration } from "../core/duration.js";
import type { ReportAttempt, ReportUndo, RunReport } from "./report-model.js";

/** A table cell: no line breaks, no unescaped pipes. */
const cell = (v: string | number | undefined): string =>
  v === undefined || v === "" ? "—" : String(v).replace(/\r?\n/g, " ").replace(/\|/g, "\\|");

export const dur = (ms: number | undefined): string => (ms === undefined ? "—" : formatDuration(ms));

/** `2026-12-06T10:13:02.453Z` → `10:13:02` (the date is in the header; a run spanning days shows the full time). */
export function clock(at: string | undefined, report: RunReport): string {
  if (!at) return "—";
  return at.slice(0, 10) === report.startedAt.slice(0, 10) ? at.slice(11, 19) : at.replace("T", " ").slice(0, 19);
}

export function errorText(x: ReportAttempt | ReportUndo): string {
  return x.error ? `[${x.error.code}] ${x.error.message}` : "";
}

export function renderMarkdown(r: RunReport): string {
  const t = r.totals;
  const lines: string[] = [
    `# Run report: ${r.runId}`,
    "",
    `| | |`,
    `|---|---|`,
    `| playbook | ${cell(r.playbook.name)} (\`${cell(r.playbook.file)}\`, sha256 ${r.playbook.hash.slice(0, 12)}) |`,
    `| environment | ${cell(r.environment)} |`,
    `| result | **${r.status}**${r.error ? ` — [${cell(r.error.code)}] ${cell(r.error.message)}` : ""} |`,
    `| started | ${r.startedAt} by ${cell(r.startedBy)} |`,
    `| ${r.finishedAt ? "finished" : "measured until"} | ${r.until} |`,
    "",
    "## Time",
    "",
    "| | duration |",
    "|---|---:|",
    `| wall clock | ${dur(t.wallMs)} |`,
    `| **machine** (cutover working) | **${dur(t.machineMs)}** |`,
    `| — executing steps | ${dur(t.executingMs)} |`,
    `| — undoing | ${dur(t.undoingMs)} |`,
    `| — retry backoff | ${dur(t.retryBackoffMs)} |`,
    `| **human wait** (gates, decisions) | **${dur(t.humanWaitMs)}** |`,
    `| stopped (interrupted, nothing running) | ${dur(t.stoppedMs)} |`,
    "",
    "## Steps",
    "",
    "| step | attempt | started | ended | duration | result | error |",
    "|---|---:|---|---|---:|---|---|",
  ];
  for (const s of r.steps) {
    if (s.attempts.length === 0) {
      const why = s.skipped
        ? `skipped (${s.skipped.reason}${s.skipped.by ? ` by ${s.skipped.by}` : ""}${s.skipped.note ? `: ${s.skipped.note}` : ""})`
        : s.status;
      lines.push(`| ${cell(s.id)} | — | — | — | — | ${cell(why)} | |`);
    }
    for (const a of s.attempts) {
      const result = a.retryInMs !== undefined ? `${a.result}, retried after ${dur(a.retryInMs)}` : a.result;
      const approved = s.approvedBy && a === s.attempts.at(-1) ? ` (approved by ${s.approvedBy})` : "";
      lines.push(
        `| ${cell(s.id)} | ${a.attempt} | ${clock(a.startedAt, r)} | ${clock(a.endedAt, r)} | ${dur(a.durationMs)} | ` +
          `${cell(result + approved)} | ${cell(errorText(a))} |`,
      );
    }
  }
  const undos = r.steps.flatMap((s) => s.undos.map((u) => ({ s, u })));
  if (undos.length) {
    lines.push(
      "",
      "## Undo",
      "",
      "| step | started | ended | duration | result | error |",
      "|---|---|---|---:|---|---|",
    );
    const when = (u: ReportUndo) => u.startedAt ?? u.endedAt ?? "";
    const order = [...undos].sort((a, b) => when(a.u).localeCompare(when(b.u)));
    for (const { s, u } of order) {
      const result = u.result === "skipped" ? `skipped (${u.reason ?? ""})` : u.result;
      lines.push(
        `| ${cell(s.id)} | ${clock(u.startedAt, r)} | ${clock(u.endedAt, r)} | ${dur(u.durationMs)} | ${cell(result)} | ` +
          `${cell(errorText(u))} |`,
      );
    }
  }
  if (r.waits.length) {
    lines.push(
      "",
      "## Waits",
      "",
      "| waited for | step | from | until | duration | ended by |",
      "|---|---|---|---|---:|---|",
    );
    for (const w of r.waits) {
      const ended = w.endedBy
        ? `${w.endedBy.action}${w.endedBy.by ? ` by ${w.endedBy.by}` : ""}${w.endedBy.note ? `: ${w.endedBy.note}` : ""}`
        : w.until
          ? ""
          : "still waiting";
      lines.push(
        `| ${w.kind === "stopped" ? "stopped" : `${w.kind} (person)`} | ${cell(w.stepId)} | ${clock(w.from, r)} | ` +
          `${clock(w.until, r)} | ${dur(w.durationMs)} | ${cell(ended)} |`,
      );
    }
  }
  if (r.actions.length) {
    lines.push("", "## Who did what", "", "| at | who | did | step | note |", "|---|---|---|---|---|");
    for (const a of r.actions)
      lines.push(`| ${clock(a.at, r)} | ${cell(a.by)} | ${cell(a.action)} | ${cell(a.stepId)} | ${cell(a.note)} |`);
  }
  if (r.notifications.length) {
    lines.push("", "## Notifications", "", "| at | target | event | result | attempts |", "|---|---:|---|---|---:|");
    for (const n of r.notifications) {
      const result = n.result === "sent" ? `sent (HTTP ${n.status})` : `failed: [${n.error?.code}] ${n.error?.message}`;
      lines.push(`| ${clock(n.at, r)} | ${n.target} | ${n.event} | ${cell(result)} | ${n.attempts} |`);
    }
  }
  return lines.join("\n") + "\n";
}
