/**
 * Folder versus journal: the state of every script, what is pending, what
 * drifted, what is dirty, and rows applied by a newer release (`future`,
 * tolerated so the previous app version's playbook still runs after a
 * rollback).
 */
import { APPLIED_STATUSES, appliedChecksum, latestBySeq, type JournalRow } from "./journal.js";
import type { MigrationScript, ScriptFolder } from "./scripts.js";

export type ScriptState = "applied" | "pending" | "failed" | "running" | "drift";

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
  /** Scripts that still have to run, in order (`pending`, `failed`, or a dirty `running`). */
  pending: ScriptStatus[];
  drift: ScriptStatus[];
  /** `running` rows: a non-transactional script in flight, or dirty if no live holder. */
  running: ScriptStatus[];
  /** Journal rows (latest per seq) beyond the last script in the folder: applied by a newer release. */
  future: JournalRow[];
}

export function computeStatus(folder: ScriptFolder, rows: JournalRow[]): MigrationStatus {
  const latest = latestBySeq(rows);
  const scripts: ScriptStatus[] = folder.scripts.map((script) => {
    const last = latest.get(script.seq);
    if (!last) return { script, state: "pending" };
    if (last.status === "running") return { script, state: "running", latest: last };
    if (APPLIED_STATUSES.has(last.status)) {
      const applied = appliedChecksum(rows, script.seq) ?? last.checksum;
      return applied === script.checksum ? { script, state: "applied", latest: last } : { script, state: "drift", latest: last, appliedChecksum: applied };
    }
    return { script, state: "failed", latest: last };
  });
  const maxSeq = folder.scripts.at(-1)?.seq ?? 0;
  const future = [...latest.values()].filter((r) => r.seq > maxSeq && APPLIED_STATUSES.has(r.status));
  return {
    scripts,
    pending: scripts.filter((s) => s.state === "pending" || s.state === "failed" || s.state === "running"),
    drift: scripts.filter((s) => s.state === "drift"),
    running: scripts.filter((s) => s.state === "running"),
    future,
  };
}

/** The message an applied-but-edited script fails with: file, both hashes, who applied it and what to do. */
export function driftMessage(s: ScriptStatus): string {
  const l = s.latest;
  return (
    `${s.script.file}: script ${s.script.seq} was applied with checksum ${s.appliedChecksum} but the file now has ${s.script.checksum}` +
    (l ? ` (applied by run ${l.runId}${l.release ? `, release ${l.release}` : ""}, ${l.finishedAt ?? l.startedAt})` : "")
  );
}

export const DRIFT_HINT =
  "restore the file as applied (git log -p it), or, if the edit is cosmetic, accept it: cutover migrate accept-drift <seq> --reason '...'";
