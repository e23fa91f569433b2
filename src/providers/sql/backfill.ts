/**
 * Batched backfill: rows transformed (`set`) or copied (`statement`) in
 * primary-key ranges, one short transaction per batch. The batch and its
 * checkpoint (last key, rows done) commit together, fenced by the migration
 * lease, so a runner killed at any instant resumes exactly after the last
 * committed batch: no row is processed twice, none is skipped.
 *
 * The key range is bounded at the start (`upper_key`): rows inserted later
 * are the new app's business, so the backfill cannot chase a moving target.
 * Batches adapt to `targetBatchMs` so each holds its row locks only briefly,
 * and throttle (`sleepMs`, `maxRowsPerSecond`) leaves room for live traffic.
 */
import { CutoverError, ErrorCode } from "../../core/errors.js";
import { pause as wait } from "../../core/timers.js";
import { isLockTimeout, sqlErrorCode, type SqlClient, type SqlConnection } from "./driver.js";
import { quoteIdent } from "./journal-sql.js";
import { assertFence } from "./lease.js";
import { withMigrationLease, type LeasedSessionOptions } from "./leased-session.js";

export interface BackfillOptions extends LeasedSessionOptions {
  /** Checkpoint name: a completed backfill with this name is not run again. */
  name: string;
  table: string;
  /** A unique, ordered key column (usually the primary key). */
  key: string;
  /** UPDATE mode: the SET list, e.g. `email_lower = lower(email)`. */
  set?: string;
  /** UPDATE mode: only rows still needing work, e.g. `email_lower is null`. */
  where?: string;
  /** Copy mode: a statement over the key range `$1` .. `$2` (both inclusive, never null). */
  statement?: string;
  batchSize: number;
  maxBatchSize: number;
  /** Grow/shrink batches towards this duration (0: fixed size). */
  targetBatchMs: number;
  sleepMs: number;
  maxRowsPerSecond?: number;
  /** Mirror progress into the run journal (ctx.checkpoint); the database row stays authoritative. */
  checkpoint?: (data: { name: string; lastKey: string | null; rowsDone: number; rowsTotal: number }) => Promise<void>;
}

export interface BackfillResult {
  rowsDone: number;
  rowsTotal: number;
  batches: number;
  /** True when the checkpoint said this backfill had already completed. */
  alreadyDone: boolean;
  resumedFrom: string | null;
  durationMs: number;
}

interface Progress {
  lastKey: string | null;
  upperKey: string | null;
  rowsDone: number;
  rowsTotal: number;
  status: string;
}

async function readProgress(conn: SqlConnection, client: SqlClient, name: string): Promise<Progress | undefined> {
  const rows = await conn.query(
    `select last_key, upper_key, rows_done, rows_total, status from ${client.sql.tables.backfill} where name = $1`,
    [name],
  );
  const r = rows[0];
  if (!r) return undefined;
  return {
    lastKey: (r.last_key as string | null) ?? null,
    upperKey: (r.upper_key as string | null) ?? null,
    rowsDone: Number(r.rows_done),
    rowsTotal: Number(r.rows_total),
    status: String(r.status),
  };
}

function formatEta(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return "?";
  const s = Math.round(ms / 1000);
  return s >= 3600
    ? `${Math.floor(s / 3600)}h${Math.floor((s % 3600) / 60)}m`
    : s >= 60
      ? `${Math.floor(s / 60)}m${s % 60}s`
      : `${s}s`;
}

export async function runBackfill(client: SqlClient, o: BackfillOptions): Promise<BackfillResult> {
  if ((o.set === undefined) === (o.statement === undefined))
    throw new CutoverError(ErrorCode.Config, "a backfill needs exactly one of `set` or `statement`");
  const started = Date.now();
  return withMigrationLease(client, "backfill", o, async ({ conn, lease, signal }) => {
    const token = lease.token;
    const t = client.sql.tables.backfill;
    const table = quoteIdent(o.table);
    const key = quoteIdent(o.key);
    const filter = o.where ? ` and (${o.where})` : "";
    let p = await readProgress(conn, client, o.name);
    if (p?.status === "done") {
      o.log.info(`backfill ${o.name} already completed (${p.rowsDone} rows)`);
      return {
        rowsDone: p.rowsDone,
        rowsTotal: p.rowsTotal,
        batches: 0,
        alreadyDone: true,
        resumedFrom: p.lastKey,
        durationMs: 0,
      };
    }
    const resumedFrom = p?.lastKey ?? null;
    if (!p) {
      const upper = (await conn.query(`select max(${key}) as k from ${table}`))[0]?.k;
      const upperKey = upper === null || upper === undefined ? null : String(upper);
      const total =
        upperKey === null
          ? 0
          : Number((await conn.query(`select count(*) as n from ${table} where ${key} <= $1`, [upperKey]))[0]?.n ?? 0);
      p = { lastKey: null, upperKey, rowsDone: 0, rowsTotal: total, status: "running" };
      await conn.transaction(async () => {
        await assertFence(conn, client, token);
        await conn.query(
          `insert into ${t} (name, last_key, upper_key, rows_done, rows_total, status, run_id, lease_token) ` +
            `values ($1, null, $2, 0, $3, 'running', $4, $5)`,
          [o.name, upperKey, total, o.runId, token],
        );
      });
    } else {
      o.log.info(
        `backfill ${o.name}: resuming after key ${p.lastKey ?? "(start)"} with ${p.rowsDone}/${p.rowsTotal} rows done`,
      );
    }

    let size = o.batchSize;
    let batches = 0;
    const sessionStart = Date.now();
    let sessionRows = 0;
    let lastReport = 0;
    while (p.upperKey !== null) {
      if (signal.aborted)
        throw new CutoverError(
          ErrorCode.Cancelled,
          `backfill ${o.name} paused after key ${p.lastKey ?? "(start)"}; resuming continues from there`,
        );
      lease.assertHeld();
      await lease.beat();
      // Next batch: the keys after the checkpoint, up to the bound fixed at the start. Its first and
      // last keys delimit the batch inclusively, so `$1`/`$2` are never null in the batch statement.
      const bound = await conn.query(
        p.lastKey === null
          ? `select min(k) as lo, max(k) as hi, count(*) as n from (select ${key} as k from ${table} where ${key} ` +
              `<= $1 order by ${key} limit ${Math.floor(size)}) as b`
          : `select min(k) as lo, max(k) as hi, count(*) as n from (select ${key} as k from ${table} where ${key} ` +
              `> $1 and ${key} <= $2 order by ${key} limit ${Math.floor(size)}) as b`,
        p.lastKey === null ? [p.upperKey] : [p.lastKey, p.upperKey],
      );
      const n = Number(bound[0]?.n ?? 0);
      if (n === 0) break;
      const lo = String(bound[0]?.lo);
      const hi = String(bound[0]?.hi);
      const batchSql = o.statement ?? `update ${table} set ${o.set} where ${key} >= $1 and ${key} <= $2${filter}`;
      const t0 = Date.now();
      for (let attempt = 0; ; attempt++) {
        try {
          await conn.transaction(async () => {
            await conn.query(batchSql, [lo, hi]);
            await assertFence(conn, client, token);
            await conn.query(
              `update ${t} set last_key = $2, rows_done = rows_done + $3, updated_at = ${client.sql.now}, ` +
                `lease_token = $4 where name = $1`,
              [o.name, hi, n, token],
            );
          });
          break;
        } catch (e) {
          if (!isLockTimeout(e) || attempt >= (o.lockRetries ?? 5) || signal.aborted) {
            if (signal.aborted)
              throw new CutoverError(
                ErrorCode.Cancelled,
                `backfill ${o.name} paused after key ${p.lastKey ?? "(start)"}`,
                { cause: e },
              );
            throw e instanceof CutoverError
              ? e
              : new CutoverError(
                  ErrorCode.StepFailed,
                  `backfill ${o.name}: batch after key ${p.lastKey ?? "(start)"} ` +
                    `failed${sqlErrorCode(e) ? ` [${sqlErrorCode(e)}]` : ""}: ${(e as Error).message}`,
                  { cause: e, retryable: true },
                );
          }
          const delay = Math.min(10_000, 200 * 2 ** attempt) * (0.5 + Math.random());
          o.log.warn(`backfill ${o.name}: lock timeout, retrying the batch in ${Math.round(delay)} ms`);
          await wait(delay, signal);
        }
      }
      const took = Date.now() - t0;
      p.lastKey = hi;
      p.rowsDone += n;
      sessionRows += n;
      batches++;
      if (o.targetBatchMs > 0) {
        const ratio = took > 0 ? o.targetBatchMs / took : 2;
        size = Math.max(100, Math.min(o.maxBatchSize, size * Math.max(0.5, Math.min(2, ratio))));
      }
      const elapsed = Date.now() - sessionStart;
      const rate = elapsed > 0 ? (sessionRows * 1000) / elapsed : 0;
      if (Date.now() - lastReport > 1000 || p.rowsDone >= p.rowsTotal) {
        lastReport = Date.now();
        const remaining = Math.max(0, p.rowsTotal - p.rowsDone);
        o.log.progress?.(
          `${o.name}: ${p.rowsDone}/${p.rowsTotal} rows, ${Math.round(rate)} rows/s, ETA ` +
            `${formatEta(rate > 0 ? (remaining * 1000) / rate : NaN)}`,
          p.rowsTotal > 0 ? Math.min(1, p.rowsDone / p.rowsTotal) : 1,
        );
        await o.checkpoint?.({ name: o.name, lastKey: p.lastKey, rowsDone: p.rowsDone, rowsTotal: p.rowsTotal });
      }
      let pause = o.sleepMs;
      if (o.maxRowsPerSecond && o.maxRowsPerSecond > 0)
        pause = Math.max(pause, (sessionRows * 1000) / o.maxRowsPerSecond - (Date.now() - sessionStart));
      // Ends early when the step is cancelled; the loop's next turn says where the backfill stopped.
      await wait(pause, signal);
    }
    await conn.transaction(async () => {
      await assertFence(conn, client, token);
      await conn.query(`update ${t} set status = 'done', updated_at = ${client.sql.now} where name = $1`, [o.name]);
    });
    o.log.info(`backfill ${o.name}: ${p.rowsDone} rows in ${batches} batches`);
    return {
      rowsDone: p.rowsDone,
      rowsTotal: p.rowsTotal,
      batches,
      alreadyDone: false,
      resumedFrom,
      durationMs: Date.now() - started,
    };
  });
}
