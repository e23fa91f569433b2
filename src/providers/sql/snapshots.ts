/**
 * Capability `db-snapshots`: a consistent copy of a database's data, taken
 * while it serves (backup, clone), and a restore that puts it back. Offered
 * by the `postgres` and `sqlite` providers beside `sql`; used by db.backup
 * and db.clone. See docs/migrations.md, "Backups and clones".
 *
 * cutover's own bookkeeping tables (migration journal, lease, hashes,
 * backfill progress, run store) are never restored from a backup: a restore
 * would roll the migration journal back to a state that disagrees with the
 * history of what ran, and would take the lease from under its holder.
 * Instead a backup records the journal's high-water mark (the last row id,
 * read under the migration lease, so no script ran during the copy) and the
 * backfill progress; the restore, in the same transaction as the data,
 * appends one row per script whose state differs from the mark (`undone` for
 * a script applied since, `marked_succeeded` for one undone since), and puts
 * the backfill progress back. The journal keeps its whole history and agrees
 * with the database after the restore.
 */
import { createHash } from "node:crypto";
import { capability } from "../../core/capabilities.js";
import type { Json } from "../../core/json.js";
import type { SqlConnection } from "./driver.js";
import type { JournalSql } from "./journal-sql.js";
import { APPLIED_STATUSES, latestBySeq, readJournal, type JournalRow, type NewJournalRow } from "./journal.js";

/** What a backup must know to be restored, journaled with the step (no secrets: paths and counts). */
export interface BackupInfo {
  /** Absolute path of the backup file. */
  file: string;
  dialect: "postgres" | "sqlite";
  /** The safe description of the database it was taken from (never a password). */
  target: string;
  /**
   * SHA-256 of `target`: what a restore compares. The description itself may come back from the journal as
   * `***` (a connection URL without a password is its own description, and the URL is a redacted secret).
   */
  targetHash: string;
  bytes: number;
  sha256: string;
  /** The migration journal's last row id when the copy was taken (0: no journal yet). */
  journalMark: number;
  /** The backfill progress table's rows at that moment, put back by a restore. */
  backfill: Record<string, Json>[];
  takenAt: string;
}

export interface RestoreReport {
  /** Scripts marked pending again (applied after the backup). */
  unapplied: string[];
  /** Scripts marked applied again (undone after the backup). */
  reapplied: string[];
}

/** Where a clone lives: a database on the same server (PostgreSQL) or a file (SQLite). */
export interface CloneInfo {
  /** PostgreSQL: the new database's name. SQLite: the absolute path of the new file. */
  name: string;
  target: string;
}

export interface SnapshotOptions {
  runId: string;
  signal: AbortSignal;
  log: { info(m: string): void; warn(m: string): void };
  /** Fencing of the migration lease held during the operation. */
  leaseTtlMs: number;
  leaseWaitMs: number;
}

export interface DbSnapshots {
  /** Copy the data (not cutover's tables) to `file`, consistently, without stopping the database. */
  backup(file: string, o: SnapshotOptions): Promise<BackupInfo>;
  /**
   * Replace the data with the backup's in one transaction, dropping what was created since, and realign
   * the migration journal and backfill progress (see above). Loses every write since the backup.
   */
  restore(info: BackupInfo, o: SnapshotOptions & { note: string }): Promise<RestoreReport>;
  /**
   * A new database holding a consistent copy of this one, including the migration journal (so migrating
   * the clone applies only what is pending) but not the lease or run store rows.
   */
  clone(name: string, o: SnapshotOptions): Promise<CloneInfo>;
  /** Whether the clone exists. */
  cloneExists(name: string): Promise<boolean>;
  /** Delete a clone made by `clone`. Idempotent. */
  dropClone(name: string, o: SnapshotOptions): Promise<void>;
  /** What `clone(name)` would be called in messages. */
  describeClone(name: string): string;
}

export const DatabaseSnapshots = capability<DbSnapshots>("db-snapshots");

/** The highest journal row id, 0 when there is no journal yet. */
export async function journalMark(conn: SqlConnection, sql: JournalSql): Promise<number> {
  const rows = await readJournal(conn, sql);
  return rows.length === 0 ? 0 : rows[rows.length - 1]!.id;
}

/**
 * The rows a restore appends so the journal agrees with the restored data: for each script whose
 * applied-or-not state differs between the mark and now, a row restating its state at the mark.
 */
export function realignRows(
  rows: JournalRow[],
  mark: number,
  by: { runId: string; leaseToken: number; executedBy: string; note: string },
): NewJournalRow[] {
  const then = latestBySeq(rows.filter((r) => r.id <= mark));
  const now = latestBySeq(rows);
  const out: NewJournalRow[] = [];
  for (const [seq, current] of [...now].sort((a, b) => a[0] - b[0])) {
    const before = then.get(seq);
    const appliedNow = APPLIED_STATUSES.has(current.status) || current.status === "running";
    const appliedThen = before !== undefined && APPLIED_STATUSES.has(before.status);
    if (appliedNow === appliedThen) continue;
    const basis = appliedThen ? before : current;
    out.push({
      seq,
      name: basis.name,
      phase: basis.phase,
      checksum: basis.checksum,
      transactional: basis.transactional,
      status: appliedThen ? "marked_succeeded" : "undone",
      finished: true,
      durationMs: 0,
      runId: by.runId,
      release: basis.release,
      leaseToken: by.leaseToken,
      executedBy: by.executedBy,
      error: null,
      acknowledged: [],
      note: by.note,
    });
  }
  return out;
}

/** Summary of realigned rows for the step's log and outputs. */
export function reportOf(rows: NewJournalRow[]): RestoreReport {
  return {
    unapplied: rows.filter((r) => r.status === "undone").map((r) => r.name),
    reapplied: rows.filter((r) => r.status === "marked_succeeded").map((r) => r.name),
  };
}

/** The identity of a backup's database, safe to journal (see BackupInfo.targetHash). */
export function targetHashOf(target: string): string {
  return createHash("sha256").update(`cutover:db-target:${target}`).digest("hex");
}
