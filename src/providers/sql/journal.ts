/**
 * The journal table: one row per attempt (never updated in place except a
 * non-transactional script's own `running`/`undo_running` row reaching its
 * outcome), so it
 * doubles as the audit trail. The latest row of a sequence number decides
 * its state. Statuses:
 *
 * - `running`: a non-transactional script started (committed before the
 *   statement ran); if still there with no live holder, the DB is dirty.
 * - `succeeded` / `failed`: an attempt's outcome. A transactional script's
 *   `succeeded` row commits in the same transaction as the script itself;
 *   its `failed` row is written after the rollback.
 * - `marked_succeeded` / `marked_failed`: an operator's audited `resolve`.
 * - `accepted_drift`: an operator accepted an edited, already-applied file.
 * - `undone`: the script's undo script ran (a reversible run was aborted);
 *   committed with the undo script. The script counts as pending again.
 * - `undo_running`: a non-transactional undo script started; left there with
 *   no live holder, the undo is dirty (like `running`).
 * - `undo_failed`: an undo attempt failed and was rolled back. Audit only: it
 *   never decides a state (the script is still applied, as before the attempt).
 * - `marked_undone`: an operator's audited `resolve` of a dirty undo.
 *
 * The status column is plain text (no CHECK constraint or enum), so journals
 * created before a status existed accept it without any upgrade.
 */
import type { SqlConnection } from "./driver.js";
import type { JournalSql } from "./journal-sql.js";
import type { Phase } from "./scripts.js";

export type JournalStatus =
  | "running"
  | "succeeded"
  | "failed"
  | "marked_succeeded"
  | "marked_failed"
  | "accepted_drift"
  | "undone"
  | "undo_running"
  | "undo_failed"
  | "marked_undone";

/** Statuses meaning "this script is applied". */
export const APPLIED_STATUSES: ReadonlySet<JournalStatus> = new Set([
  "succeeded",
  "marked_succeeded",
  "accepted_drift",
]);

/** Statuses meaning "this script was taken back by its undo script": pending again. */
export const UNDONE_STATUSES: ReadonlySet<JournalStatus> = new Set(["undone", "marked_undone"]);

/** Rows kept for the audit trail only: a rolled-back undo attempt left the script as it was. */
const AUDIT_ONLY_STATUSES: ReadonlySet<JournalStatus> = new Set(["undo_failed"]);

export interface JournalRow {
  id: number;
  seq: number;
  name: string;
  phase: Phase;
  checksum: string;
  transactional: boolean;
  status: JournalStatus;
  startedAt: string;
  finishedAt: string | null;
  durationMs: number | null;
  runId: string;
  release: string | null;
  leaseToken: number;
  executedBy: string;
  error: string | null;
  acknowledged: string[];
  note: string | null;
}

export type NewJournalRow = Omit<JournalRow, "id" | "startedAt" | "finishedAt"> & { finished: boolean };

export async function journalExists(conn: SqlConnection, sql: JournalSql): Promise<boolean> {
  const rows = await conn.query(sql.journalExists);
  return Number(rows[0]?.n) > 0;
}

/** Create the bookkeeping tables if missing (idempotent DDL). */
export async function ensureJournal(conn: SqlConnection, sql: JournalSql): Promise<void> {
  if (await journalExists(conn, sql)) return;
  await conn.transaction(async () => {
    if (sql.ensureLock) await conn.query(sql.ensureLock);
    if (await journalExists(conn, sql)) return;
    for (const stmt of sql.ensure) await conn.query(stmt);
  });
}

const iso = (v: unknown): string | null =>
  v === null || v === undefined ? null : v instanceof Date ? v.toISOString() : String(v);

/** Every journal row in write order; [] when the journal does not exist yet (dry runs never create it). */
export async function readJournal(conn: SqlConnection, sql: JournalSql): Promise<JournalRow[]> {
  if (!(await journalExists(conn, sql))) return [];
  const rows = await conn.query(`select * from ${sql.tables.journal} order by id`);
  return rows.map((r) => ({
    id: Number(r.id),
    seq: Number(r.seq),
    name: String(r.name),
    phase: r.phase as Phase,
    checksum: String(r.checksum),
    transactional: r.transactional === true || Number(r.transactional) === 1,
    status: r.status as JournalStatus,
    startedAt: iso(r.started_at) ?? "",
    finishedAt: iso(r.finished_at),
    durationMs: r.duration_ms === null || r.duration_ms === undefined ? null : Number(r.duration_ms),
    runId: String(r.run_id),
    release: (r.release as string | null) ?? null,
    leaseToken: Number(r.lease_token),
    executedBy: String(r.executed_by),
    error: (r.error as string | null) ?? null,
    acknowledged: String(r.acknowledged ?? "")
      .split(",")
      .filter(Boolean),
    note: (r.note as string | null) ?? null,
  }));
}

/** Insert one attempt row; returns its id. Callers wrap it in a fenced transaction. */
export async function insertJournalRow(conn: SqlConnection, sql: JournalSql, row: NewJournalRow): Promise<number> {
  const rows = await conn.query(
    `insert into ${sql.tables.journal}
       (seq, name, phase, checksum, transactional, status, finished_at, duration_ms, run_id, release, lease_token, ` +
      `executed_by, error, acknowledged, note)
     values ($1, $2, $3, $4, $5, $6, case when $7 = 1 then ${sql.now} else null end, $8, $9, $10, $11, $12, $13, ` +
      `$14, $15)
     returning id`,
    [
      row.seq,
      row.name,
      row.phase,
      row.checksum,
      row.transactional,
      row.status,
      row.finished ? 1 : 0,
      row.durationMs,
      row.runId,
      row.release,
      row.leaseToken,
      row.executedBy,
      row.error,
      row.acknowledged.join(","),
      row.note,
    ],
  );
  return Number(rows[0]?.id);
}

/** A non-transactional script's `running` row reaching its outcome. */
export async function finishJournalRow(
  conn: SqlConnection,
  sql: JournalSql,
  id: number,
  outcome: { status: JournalStatus; durationMs: number; error: string | null },
): Promise<void> {
  await conn.query(
    `update ${sql.tables.journal} set status = $2, finished_at ` +
      `= ${sql.now}, duration_ms = $3, error = $4 where id = $1`,
    [id, outcome.status, outcome.durationMs, outcome.error],
  );
}

/** The latest row of each sequence number that decides its state (audit-only rows skipped). */
export function latestBySeq(rows: JournalRow[]): Map<number, JournalRow> {
  const out = new Map<number, JournalRow>();
  for (const r of rows) if (!AUDIT_ONLY_STATUSES.has(r.status)) out.set(r.seq, r);
  return out;
}

/**
 * The run that applied script `seq` as it stands: the run id of the last
 * runner-written attempt since the last undo. An operator's `resolve` or
 * `accept-drift` settles that attempt but does not make the admin its owner.
 * Undefined when the script is not applied now.
 */
export function appliedBy(rows: JournalRow[], seq: number): string | undefined {
  let runner: string | undefined;
  let last: JournalRow | undefined;
  for (const r of rows) {
    if (r.seq !== seq || AUDIT_ONLY_STATUSES.has(r.status)) continue;
    last = r;
    if (r.status === "succeeded" || r.status === "running" || r.status === "failed") runner = r.runId;
    else if (UNDONE_STATUSES.has(r.status)) runner = undefined;
  }
  return last && APPLIED_STATUSES.has(last.status) ? runner : undefined;
}

/** The checksum an applied script was last applied (or accepted) with. */
export function appliedChecksum(rows: JournalRow[], seq: number): string | undefined {
  let sum: string | undefined;
  for (const r of rows) if (r.seq === seq && APPLIED_STATUSES.has(r.status)) sum = r.checksum;
  return sum;
}
