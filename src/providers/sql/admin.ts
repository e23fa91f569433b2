/**
 * The audited operator commands behind `cutover migrate ...`: status,
 * resolve (a dirty or failed script), accept-drift and unlock. Each write
 * takes the migration lease and appends a journal row naming who did it and
 * why — the journal stays the audit trail instead of being edited by hand.
 */
import { CutoverError, ErrorCode } from "../../core/errors.js";
import type { SqlClient } from "./driver.js";
import { fenced, type ExecContext } from "./execute-script.js";
import { insertJournalRow, readJournal, type JournalRow, type JournalStatus } from "./journal.js";
import { describeHolder, LEASE_NAME, MigrationLease, readLease, type LeaseState } from "./lease.js";
import type { MigrationScript, ScriptFolder } from "./scripts.js";
import { computeStatus, type MigrationStatus } from "./status.js";

export interface AuditInput {
  folder: ScriptFolder;
  seq: number;
  /** Why: required, recorded in the journal. */
  reason: string;
  /** Who: defaults to user@host pid. */
  by?: string;
}

export async function migrationStatus(
  client: SqlClient,
  folder: ScriptFolder,
): Promise<{ status: MigrationStatus; lease?: LeaseState; journal: JournalRow[] }> {
  const conn = await client.connect("status");
  try {
    const journal = await readJournal(conn, client.sql);
    const lease = journal.length > 0 ? await readLease(conn, client) : undefined;
    return { status: computeStatus(folder, journal), journal, ...(lease ? { lease } : {}) };
  } finally {
    await conn.close();
  }
}

async function audited(
  client: SqlClient,
  input: AuditInput,
  decide: (
    script: MigrationScript,
    status: MigrationStatus,
  ) => { status: JournalStatus; checksum: string; note: string },
): Promise<JournalRow> {
  if (input.reason.trim() === "")
    throw new CutoverError(ErrorCode.Usage, "a --reason is required: it is recorded in the journal");
  const script = input.folder.scripts.find((s) => s.seq === input.seq);
  if (!script) throw new CutoverError(ErrorCode.Usage, `no script numbered ${input.seq} in ${input.folder.dir}`);
  const by = input.by ?? describeHolder();
  const conn = await client.connect("admin");
  const runId = `admin:${by}`;
  let lease: MigrationLease | undefined;
  try {
    lease = await MigrationLease.acquire(client, conn, { runId, ttlMs: 30_000, waitMs: 0 });
    const status = computeStatus(input.folder, await readJournal(conn, client.sql));
    const d = decide(script, status);
    const x = { client, conn, token: lease.token } as ExecContext;
    await fenced(x, () =>
      insertJournalRow(conn, client.sql, {
        seq: script.seq,
        name: script.name,
        phase: script.phase,
        checksum: d.checksum,
        transactional: script.transactional,
        status: d.status,
        durationMs: 0,
        runId,
        release: null,
        leaseToken: lease!.token,
        executedBy: by,
        error: null,
        acknowledged: [],
        note: d.note,
        finished: true,
      }),
    );
    const rows = await readJournal(conn, client.sql);
    return rows.at(-1) as JournalRow;
  } finally {
    await lease?.release();
    await conn.close();
  }
}

/** Accept an edited, already-applied script: records the file's new checksum as the applied one. */
export function acceptDrift(client: SqlClient, input: AuditInput): Promise<JournalRow> {
  return audited(client, input, (script, status) => {
    const s = status.scripts.find((x) => x.script.seq === script.seq);
    if (s?.state !== "drift")
      throw new CutoverError(
        ErrorCode.Usage,
        `script ${script.name} has no checksum drift (state: ${s?.state ?? "unknown"})`,
      );
    return {
      status: "accepted_drift",
      checksum: script.checksum,
      note:
        `drift accepted by ${input.by ?? describeHolder()}: ${input.reason} (applied checksum was ` +
        `${s.appliedChecksum})`,
    };
  });
}

/**
 * Settle a dirty (left `running`) or failed script after checking the
 * database by hand: `succeeded` means "it took effect, skip it", `failed`
 * means "it did not, run it again". A dirty undo (left `undo_running`) is
 * settled with `undone` ("the undo took effect": pending again) or
 * `succeeded` ("it did not": the script is still applied).
 */
export function resolveScript(
  client: SqlClient,
  input: AuditInput & { mark: "succeeded" | "failed" | "undone" },
): Promise<JournalRow> {
  return audited(client, input, (script, status) => {
    const s = status.scripts.find((x) => x.script.seq === script.seq);
    if (s?.state !== "running" && s?.state !== "failed") {
      throw new CutoverError(
        ErrorCode.Usage,
        `script ${script.name} is ${s?.state ?? "unknown"}; only a dirty (running) or failed script can be resolved`,
      );
    }
    const dirtyUndo = s.latest?.status === "undo_running";
    if (dirtyUndo && input.mark === "failed") {
      throw new CutoverError(
        ErrorCode.Usage,
        `the undo of ${script.name} is dirty: mark it undone (the undo took effect) or succeeded (it did not; ` +
          `the script is still applied)`,
      );
    }
    if (!dirtyUndo && input.mark === "undone") {
      throw new CutoverError(
        ErrorCode.Usage,
        `script ${script.name} is ${s.state}, not a dirty undo; mark it succeeded or failed`,
      );
    }
    const outcome: JournalStatus =
      input.mark === "succeeded" ? "marked_succeeded" : input.mark === "failed" ? "marked_failed" : "marked_undone";
    return {
      status: outcome,
      checksum: script.checksum,
      note:
        `marked ${input.mark} by ${input.by ?? describeHolder()}: ${input.reason} (was ` +
        `${dirtyUndo ? "a dirty undo" : s.state}${s.latest ? `, run ${s.latest.runId}` : ""})`,
    };
  });
}

/**
 * Release the migration lease: an expired one always; a live one only with
 * `force` (its holder's later journal writes are then refused by the token).
 */
export async function unlockMigrations(
  client: SqlClient,
  o: { force?: boolean; by?: string },
): Promise<LeaseState | undefined> {
  const conn = await client.connect("unlock");
  try {
    const before = await readLease(conn, client);
    if (!before?.holder) return before;
    if (before.live && !o.force) {
      throw new CutoverError(
        ErrorCode.Locked,
        `the migration lease is live (held by ${before.holder}); use --force to break it`,
      );
    }
    // Bumping the token fences the old holder out even if it is merely paused.
    await conn.query(
      `update ${client.sql.tables.lease} set holder = null, run_id = $2, token = token + 1, expires_at = ` +
        `${client.sql.now} where name = $1`,
      [LEASE_NAME, `unlocked by ${o.by ?? describeHolder()}`],
    );
    return before;
  } finally {
    await conn.close();
  }
}
