/**
 * Folder versus journal: the state of every script, what is pending, what
 * drifted, what is dirty, and rows applied by a newer release (`future`,
 * tolerated so the previous app version's playbook still runs after a
 * rollback). A script taken back by its undo script is `undone`: pending
 * again, so the next run of its phase applies it anew.
 */
import { APPLIED_STATUSES, appliedChecksum, latestBySeq, UNDONE_STATUSES, type JournalRow } from "./journal.js";
import { undoNameOf, type MigrationScript, type ScriptFolder } from "./scripts.js";

export type ScriptState = "applied" | "pending" | "failed" | "running" | "drift" | "undone";

export interface ScriptStatus {
  script: MigrationScript;
  state: ScriptState;
  /** The latest journal row of this sequence number. */
  latest?: JournalRow;
  /** For `drift`: the checksum it was applied with. */
  appliedChecksum?: string;
}

export interface MigrationStatus {
  scripts: ScriptStatus[];
  /** Scripts that still have to run, in order (`pending`, `undone`, `failed`, or a dirty `running`). */
  pending: ScriptStatus[];
  drift: ScriptStatus[];
  /** `running`/`undo_running` rows: a non-transactional script or undo in flight, or dirty if no live holder. */
  running: ScriptStatus[];
  /** Journal rows (latest per seq) beyond the last script in the folder: applied by a newer release. */
  future: JournalRow[];
}

export function computeStatus(folder: ScriptFolder, rows: JournalRow[]): MigrationStatus {
  const latest = latestBySeq(rows);
  const scripts: ScriptStatus[] = folder.scripts.map((script) => {
    const last = latest.get(script.seq);
    if (!last) return { script, state: "pending" };
    if (last.status === "running" || last.status === "undo_running") return { script, state: "running", latest: last };
    if (UNDONE_STATUSES.has(last.status)) return { script, state: "undone", latest: last };
    if (APPLIED_STATUSES.has(last.status)) {
      const applied = appliedChecksum(rows, script.seq) ?? last.checksum;
      return applied === script.checksum
        ? { script, state: "applied", latest: last }
        : { script, state: "drift", latest: last, appliedChecksum: applied };
    }
    return { script, state: "failed", latest: last };
  });
  const maxSeq = folder.scripts.at(-1)?.seq ?? 0;
  const future = [...latest.values()].filter((r) => r.seq > maxSeq && APPLIED_STATUSES.has(r.status));
  return {
    scripts,
    pending: scripts.filter(
      (s) => s.state === "pending" || s.state === "undone" || s.state === "failed" || s.state === "running",
    ),
    drift: scripts.filter((s) => s.state === "drift"),
    running: scripts.filter((s) => s.state === "running"),
    future,
  };
}

/** The message an applied-but-edited script fails with: file, both hashes, who applied it and what to do. */
export function driftMessage(s: ScriptStatus): string {
  const l = s.latest;
  return (
    `${s.script.file}: script ${s.script.seq} was applied with checksum ${s.appliedChecksum} but the file now ` +
    `has ${s.script.checksum}` +
    (l
      ? ` (applied by run ${l.runId}${l.release ? `, release ${l.release}` : ""}, ${l.finishedAt ?? l.startedAt})`
      : "")
  );
}

export const DRIFT_HINT =
  "restore the file as applied (git log -p it), or, if the edit is cosmetic, accept it: cutover migrate " +
  "accept-drift <seq> --reason '...'";

/**
 * The message a dirty script (left running with no live holder) stops a run with: what happened and how to settle it.
 */
export function dirtyMessage(r: ScriptStatus): string {
  const by = `${r.latest?.executedBy} (run ${r.latest?.runId}) with no live holder`;
  if (r.latest?.status === "undo_running") {
    return (
      `${r.script.undo?.file ?? r.script.file}: the undo of script ${r.script.seq} is dirty: left running by ` +
      `${by}; check whether it took effect, then: ` +
      `cutover migrate resolve ${r.script.seq} --mark undone (it did) | --mark succeeded (it did not; the script ` +
      `is still applied) --reason '...'`
    );
  }
  return (
    `${r.script.file}: script ${r.script.seq} is dirty: left running by ${by}; ` +
    `check whether it took effect, then: cutover migrate resolve ${r.script.seq} --mark succeeded|failed --reason '...'`
  );
}

/** The problems a reversible step stops on: each script it would apply without an undo script. */
export function missingUndos(toRun: { script: { name: string; file: string; undo?: unknown } }[]): string[] {
  return toRun
    .filter((s) => !s.script.undo)
    .map(
      (s) =>
        `${s.script.file}: no undo script, and the step is reversible; add ${undoNameOf(s.script.name)} next to ` +
        `it (the SQL that takes it back), ` +
        "or remove `reversible: true` from the step (abort then leaves the change in place)",
    );
}
