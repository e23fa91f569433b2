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
 */
import { CutoverError, ErrorCode } from "../../errors.js";
import { isLockTimeout, sqlErrorCode, type SqlClient, type SqlConnection } from "./driver.js";
import { finishJournalRow, insertJournalRow, type NewJournalRow } from "./journal.js";
import { assertFence } from "./lease.js";
import type { MigrationScript } from "./scripts.js";
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

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Run `tx` inside a transaction that first proves we still hold the lease. */
export async function fenced<T>(x: ExecContext, tx: () => Promise<T>): Promise<T> {
  return x.conn.transaction(async () => {
    await assertFence(x.conn, x.client, x.token);
    return tx();
  });
}

function row(x: ExecContext, s: MigrationScript, fields: Pick<NewJournalRow, "status" | "durationMs" | "error" | "finished"> & { note?: string }): NewJournalRow {
  return {
    seq: s.seq, name: s.name, phase: s.phase, checksum: s.checksum, transactional: s.transactional, runId: x.runId, release: x.release,
    leaseToken: x.token, executedBy: x.executedBy, acknowledged: x.acknowledged, note: fields.note ?? null, ...fields,
  };
}

/** Line of `text` at 1-based character `position` (PG reports positions in the statement sent). */
function lineAt(text: string, position: unknown): number | undefined {
  const p = Number(position);
  if (!Number.isFinite(p) || p <= 0) return undefined;
  return text.slice(0, p - 1).split("\n").length;
}

export function scriptError(s: MigrationScript, e: unknown, sent: string): CutoverError {
  if ((e as { name?: string }).name === "CutoverError") return e as CutoverError;
  const code = sqlErrorCode(e);
  const line = lineAt(sent, (e as { position?: unknown }).position);
  const message = `${s.file}${line ? `:${line}` : ""}: script ${s.seq} (${s.phase}) failed${code ? ` [${code}]` : ""}: ${(e as Error).message}`;
  return new CutoverError(ErrorCode.StepFailed, message, {
    hint: "fix the script (or the data), then resume: applied scripts are skipped and this one runs again",
    retryable: isLockTimeout(e),
    details: { script: s.name, seq: s.seq, sqlState: code ?? null },
  });
}

async function withLockRetries<T>(x: ExecContext, s: MigrationScript, attempt: () => Promise<T>, beforeRetry?: () => Promise<void>): Promise<T> {
  for (let n = 0; ; n++) {
    try {
      return await attempt();
    } catch (e) {
      if (!isLockTimeout(e) || n >= x.lockRetries || x.signal.aborted) throw e;
      const wait = Math.min(30_000, x.lockRetryBaseMs * 2 ** n) * (0.5 + Math.random());
      x.log.warn(`${s.name}: lock timeout (${sqlErrorCode(e)}); retry ${n + 1}/${x.lockRetries} in ${Math.round(wait)} ms`);
      await sleep(wait);
      await beforeRetry?.();
    }
  }
}

export async function runTransactional(x: ExecContext, s: MigrationScript): Promise<number> {
  const started = Date.now();
  try {
    await withLockRetries(x, s, () =>
      x.conn.transaction(async () => {
        // Cheap early check so a fenced-out runner does not run a long script for nothing.
        await assertFence(x.conn, x.client, x.token, { lock: false });
        await x.conn.exec(s.text);
        await assertFence(x.conn, x.client, x.token);
        await insertJournalRow(x.conn, x.client.sql, row(x, s, { status: "succeeded", durationMs: Date.now() - started, error: null, finished: true }));
      }),
    );
    return Date.now() - started;
  } catch (e) {
    const err = scriptError(s, e, s.text);
    if (err.code !== ErrorCode.LeaseLost && err.code !== ErrorCode.Cancelled) {
      await fenced(x, () => insertJournalRow(x.conn, x.client.sql, row(x, s, { status: "failed", durationMs: Date.now() - started, error: err.message, finished: true })));
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
export async function runNonTransactional(x: ExecContext, s: MigrationScript, retrying: boolean): Promise<number> {
  const started = Date.now();
  const statement = s.statements[0]?.text ?? s.text;
  if (retrying && (await prepareConcurrentIndex(x, s)) === "valid") {
    await fenced(x, () =>
      insertJournalRow(x.conn, x.client.sql, row(x, s, { status: "succeeded", durationMs: 0, error: null, finished: true, note: "index found valid after an interrupted attempt" })),
    );
    return 0;
  }
  const id = await fenced(x, () => insertJournalRow(x.conn, x.client.sql, row(x, s, { status: "running", durationMs: null, error: null, finished: false })));
  try {
    await withLockRetries(x, s, () => x.conn.exec(statement), () => prepareConcurrentIndex(x, s).then(() => undefined));
  } catch (e) {
    const err = scriptError(s, e, statement);
    await fenced(x, () => finishJournalRow(x.conn, x.client.sql, id, { status: "failed", durationMs: Date.now() - started, error: err.message }));
    throw err;
  }
  await fenced(x, () => finishJournalRow(x.conn, x.client.sql, id, { status: "succeeded", durationMs: Date.now() - started, error: null }));
  return Date.now() - started;
}
