/**
 * Running one script with its journal row.
 *
 * Transactional: BEGIN; script; fence check; INSERT succeeded row; COMMIT —
 * the script and its journal row commit together or not at all. A failure
 * rolls both back, then a `failed` row is written on its own.
 *
 * Non-transactional (one statement, e.g. CREATE INDEX CONCURRENTLY): a
 * `running` row is committed first, the statement is sent alone, then the row
 * gets its outcome. A leftover INVALID index from an earlier failed or killed
 * attempt is dropped (concurrently) before the retry.
 *
 * Lock timeouts (SQLSTATE 55P03) are retried with exponential backoff and
 * jitter: the DDL gives way to live traffic instead of queueing it.
 *
 * An undo script (kind `undo`) runs the same way with its own statuses:
 * `undone` commits with it; a failed attempt writes `undo_failed`; a
 * non-transactional one starts with `undo_running`.
 */
import { CutoverError, ErrorCode } from "../../core/errors.js";
import { pause } from "../../core/timers.js";
import { isLockTimeout, sqlErrorCode, type SqlClient, type SqlConnection } from "./driver.js";
import { finishJournalRow, insertJournalRow, type JournalStatus, type NewJournalRow } from "./journal.js";
import { assertFence } from "./lease.js";
import type { MigrationScript, ScriptBody } from "./scripts.js";
import { concurrentIndexName } from "./sql-lint.js";

export interface ExecContext {
  client: SqlClient;
  conn: SqlConnection;
  token: number;
  runId: string;
  release: string | null;
  executedBy: string;
  acknowledged: string[];
  lockRetries: number;
  lockRetryBaseMs: number;
  log: { info(m: string): void; warn(m: string): void };
  signal: AbortSignal;
}

/** Run `tx` inside a transaction that first proves we still hold the lease. */
export async function fenced<T>(x: ExecContext, tx: () => Promise<T>): Promise<T> {
  return x.conn.transaction(async () => {
    await assertFence(x.conn, x.client, x.token);
    return tx();
  });
}

/** Applying a script, or running its undo script. */
type ExecKind = "apply" | "undo";

const STATUS: Record<ExecKind, { ok: JournalStatus; failed: JournalStatus; running: JournalStatus }> = {
  apply: { ok: "succeeded", failed: "failed", running: "running" },
  undo: { ok: "undone", failed: "undo_failed", running: "undo_running" },
};

/** What runs: the script itself, or (kind `undo`) its undo script, with a note for the journal row. */
export interface ExecUnit {
  kind: ExecKind;
  body: ScriptBody;
  note?: string;
}

const applyUnit = (s: MigrationScript): ExecUnit => ({ kind: "apply", body: s });

/**
 * The row names the script (its number decides the state); the
 * checksum and transaction mode are those of the file that ran.
 */
function row(
  x: ExecContext,
  s: MigrationScript,
  u: ExecUnit,
  fields: Pick<NewJournalRow, "status" | "durationMs" | "error" | "finished"> & { note?: string | null },
): NewJournalRow {
  return {
    seq: s.seq,
    name: s.name,
    phase: s.phase,
    checksum: u.body.checksum,
    transactional: u.body.transactional,
    runId: x.runId,
    release: x.release,
    leaseToken: x.token,
    executedBy: x.executedBy,
    acknowledged: x.acknowledged,
    ...fields,
    note: fields.note ?? u.note ?? null,
  };
}

/** Line of `text` at 1-based character `position` (PG reports positions in the statement sent). */
function lineAt(text: string, position: unknown): number | undefined {
  const p = Number(position);
  if (!Number.isFinite(p) || p <= 0) return undefined;
  return text.slice(0, p - 1).split("\n").length;
}

function scriptError(s: MigrationScript, e: unknown, sent: string, u: ExecUnit = applyUnit(s)): CutoverError {
  if ((e as { name?: string }).name === "CutoverError") return e as CutoverError;
  const code = sqlErrorCode(e);
  const line = lineAt(sent, (e as { position?: unknown }).position);
  const what = u.kind === "undo" ? `undo of script ${s.seq}` : `script ${s.seq}`;
  const message =
    `${u.body.file}${line ? `:${line}` : ""}: ${what} (${s.phase}) failed${code ? ` [${code}]` : ""}: ` +
    `${(e as Error).message}`;
  return new CutoverError(ErrorCode.StepFailed, message, {
    hint:
      u.kind === "undo"
        ? "fix the undo script (or the data), then run `cutover abort` again: scripts already undone are skipped " +
          "and this one runs again"
        : "fix the script (or the data), then resume: applied scripts are skipped and this one runs again",
    retryable: isLockTimeout(e),
    details: {
      script: s.name,
      seq: s.seq,
      sqlState: code ?? null,
      ...(u.kind === "undo" ? { undo: u.body.name } : {}),
    },
  });
}

async function withLockRetries<T>(
  x: ExecContext,
  s: MigrationScript,
  attempt: () => Promise<T>,
  beforeRetry?: () => Promise<void>,
): Promise<T> {
  for (let n = 0; ; n++) {
    try {
      return await attempt();
    } catch (e) {
      if (!isLockTimeout(e) || n >= x.lockRetries || x.signal.aborted) throw e;
      const wait = Math.min(30_000, x.lockRetryBaseMs * 2 ** n) * (0.5 + Math.random());
      x.log.warn(
        `${s.name}: lock timeout (${sqlErrorCode(e)}); retry ${n + 1}/${x.lockRetries} in ${Math.round(wait)} ms`,
      );
      await pause(wait, x.signal);
      if (x.signal.aborted) throw e;
      await beforeRetry?.();
    }
  }
}

export async function runTransactional(
  x: ExecContext,
  s: MigrationScript,
  u: ExecUnit = applyUnit(s),
): Promise<number> {
  const started = Date.now();
  const st = STATUS[u.kind];
  try {
    await withLockRetries(x, s, () =>
      x.conn.transaction(async () => {
        // Cheap early check so a fenced-out runner does not run a long script for nothing.
        await assertFence(x.conn, x.client, x.token, { lock: false });
        await x.conn.exec(u.body.text);
        await assertFence(x.conn, x.client, x.token);
        await insertJournalRow(
          x.conn,
          x.client.sql,
          row(x, s, u, { status: st.ok, durationMs: Date.now() - started, error: null, finished: true }),
        );
      }),
    );
    return Date.now() - started;
  } catch (e) {
    const err = scriptError(s, e, u.body.text, u);
    if (err.code !== ErrorCode.LeaseLost && err.code !== ErrorCode.Cancelled) {
      await fenced(x, () =>
        insertJournalRow(
          x.conn,
          x.client.sql,
          row(x, s, u, { status: st.failed, durationMs: Date.now() - started, error: err.message, finished: true }),
        ),
      );
    }
    throw err;
  }
}

/** Drop a leftover INVALID index of a CREATE INDEX CONCURRENTLY script; report whether a valid one already exists. */
async function prepareConcurrentIndex(x: ExecContext, s: MigrationScript): Promise<"valid" | "ready"> {
  const name = concurrentIndexName(s.statements[0]?.code ?? "");
  if (!name || x.client.dialect !== "postgres") return "ready";
  const state = await x.client.ops.indexState(x.conn, name);
  if (state === "invalid") {
    x.log.warn(`${s.name}: dropping leftover INVALID index ${name} from an earlier attempt before rebuilding it`);
    await x.conn.exec(`drop index concurrently if exists ${name}`);
    return "ready";
  }
  return state === "valid" ? "valid" : "ready";
}

/**
 * A non-transactional script. `retrying` is true when an earlier attempt
 * failed or was left running: then a valid index built by a killed attempt
 * is recognised as done instead of failing with "already exists".
 */
export async function runNonTransactional(
  x: ExecContext,
  s: MigrationScript,
  retrying: boolean,
  u: ExecUnit = applyUnit(s),
): Promise<number> {
  const started = Date.now();
  const st = STATUS[u.kind];
  const statement = u.body.statements[0]?.text ?? u.body.text;
  // The leftover-index repair belongs to CREATE INDEX CONCURRENTLY scripts, never to an undo (which would drop it).
  const cic = u.kind === "apply";
  if (cic && retrying && (await prepareConcurrentIndex(x, s)) === "valid") {
    await fenced(x, () =>
      insertJournalRow(
        x.conn,
        x.client.sql,
        row(x, s, u, {
          status: "succeeded",
          durationMs: 0,
          error: null,
          finished: true,
          note: "index found valid after an interrupted attempt",
        }),
      ),
    );
    return 0;
  }
  const id = await fenced(x, () =>
    insertJournalRow(
      x.conn,
      x.client.sql,
      row(x, s, u, { status: st.running, durationMs: null, error: null, finished: false }),
    ),
  );
  try {
    await withLockRetries(
      x,
      s,
      () => x.conn.exec(statement),
      cic ? () => prepareConcurrentIndex(x, s).then(() => undefined) : undefined,
    );
  } catch (e) {
    const err = scriptError(s, e, statement, u);
    await fenced(x, () =>
      finishJournalRow(x.conn, x.client.sql, id, {
        status: st.failed,
        durationMs: Date.now() - started,
        error: err.message,
      }),
    );
    throw err;
  }
  await fenced(x, () =>
    finishJournalRow(x.conn, x.client.sql, id, { status: st.ok, durationMs: Date.now() - started, error: null }),
  );
  return Date.now() - started;
}
