/**
 * The run journal and environment lease in PostgreSQL (`state: { provider:
 * postgres, urlEnv: … }`), so CI agents, on-call laptops and the dashboard
 * share runs through a database self-hosted teams already run.
 *
 * An append is ONE transaction: lock the run's row in state_runs (FOR UPDATE;
 * a new run inserts it, ON CONFLICT DO NOTHING), compare its last_seq with
 * `expectedSeq`, lock the environment's lease row (FOR SHARE) and compare its
 * token with the fence, insert the events, move last_seq, commit. Of two
 * racing appenders the second waits for the first's row lock, then sees the
 * new last_seq: JOURNAL_CONFLICT, nothing written. A takeover (an UPDATE of
 * the lease row) waits for appends holding the share lock and is seen by every
 * later one: a fenced-out holder cannot write. The (run_id, seq) primary key
 * backs it all up. Committed means durable (the server's WAL flush), so the
 * engine may start the next side effect once append returns.
 *
 * Events are stamped with the database's clock, like the leases (pg-leases.ts).
 */
import type pg from "pg";
import { CutoverError, ErrorCode, isCutoverError } from "../../core/errors.js";
import type { Fence, LeaseInfo, LeaseRequest, RunStore, RunSummary } from "../../core/run-store.js";
import type { RunEvent, RunEventBody } from "../../engine/events.js";
import { JournalChecker, assertWritable, refusalHint } from "../../engine/journal-check.js";
import { describePgTarget, loadPg } from "../sql/pg-driver.js";
import { PgLeases } from "./pg-leases.js";
import { ensureStateTables, stateTables, type StateTables } from "./tables.js";

export interface PgRunStoreOptions {
  /** May carry a password: it is handed to `pg` only, never printed (errors name `describePgTarget`). */
  connectionString: string;
  /** Schema of the state_* tables (created if missing). */
  schema: string;
  /** At most this many connections per process (default 4). */
  maxConnections?: number;
}

/**
 * Session guards: a waiter gives up on a row lock after 10 s (PROVIDER_ERROR, like the file store's lock
 * files), and a process stopped mid-transaction (^Z) is cut off after 15 s, so its row locks cannot block
 * everyone else for longer.
 */
const APPEND = "append to the journal";

const SESSION = { lock_timeout: 10_000, statement_timeout: 30_000, idle_in_transaction_session_timeout: 15_000 };

export class PgRunStore implements RunStore {
  readonly target: string;
  private readonly tables: StateTables;
  private readonly pool: pg.Pool;
  private readonly leases: PgLeases;
  private ready: Promise<void> | undefined;

  constructor(options: PgRunStoreOptions) {
    this.target = describePgTarget(options.connectionString);
    this.tables = stateTables(options.schema);
    this.pool = new (loadPg().Pool)({
      connectionString: options.connectionString,
      application_name: "cutover:state",
      max: options.maxConnections ?? 4,
      keepAlive: true,
      connectionTimeoutMillis: 10_000,
      allowExitOnIdle: true, // idle pooled connections must not keep a finished CLI alive
      ...SESSION,
    });
    // An idle client whose server went away emits 'error' on the pool; without a listener that would crash the process.
    this.pool.on("error", () => undefined);
    this.leases = new PgLeases({ tables: this.tables, query: (op, sql, params) => this.query(op, sql, params) });
  }

  async append(runId: string, bodies: RunEventBody[], expectedSeq: number, fence?: Fence): Promise<RunEvent[]> {
    if (!Number.isInteger(expectedSeq) || expectedSeq < 0) {
      throw new CutoverError(ErrorCode.Internal, `expectedSeq must be a non-negative integer, got ${expectedSeq}`);
    }
    if (bodies.length === 0) return [];
    assertWritable(bodies, runId, expectedSeq);
    return this.transaction(APPEND, `run ${runId}`, async (client) => {
      const t = this.tables;
      let head: { last_seq: string; now: Date } | undefined;
      if (expectedSeq === 0) {
        const started = bodies[0] as Extract<RunEventBody, { type: "run.started" }>;
        const res = await client.query<{ last_seq: string; now: Date }>(
          `insert into ${t.runs} (run_id, environment, playbook, started_at, updated_at, last_seq, last_event)
           select $1, $2, $3, n.now, n.now, 0, '' from (select date_trunc('milliseconds', now()) as now) n
           on conflict (run_id) do nothing returning last_seq, started_at as now`,
          [runId, started.environment, started.playbook.name],
        );
        head = res.rows[0];
      } else {
        const res = await client.query<{ last_seq: string; now: Date }>(
          `select last_seq, date_trunc('milliseconds', now()) as now from ${t.runs} where run_id = $1 for update`,
          [runId],
        );
        head = res.rows[0];
      }
      if (!head || Number(head.last_seq) !== expectedSeq)
        throw conflict(runId, expectedSeq, head && Number(head.last_seq));
      if (fence) await this.leases.checkFence(client, fence);
      const at = head.now.toISOString();
      const events = bodies.map((b, i) => ({ ...b, runId, seq: expectedSeq + i + 1, at }) as RunEvent);
      await client.query(
        `insert into ${t.events} (run_id, seq, event)
         select $1, s, e::json from unnest($2::bigint[], $3::text[]) as x(s, e)`,
        [runId, events.map((e) => e.seq), events.map((e) => JSON.stringify(e))],
      );
      const last = events[events.length - 1]!;
      await client.query(`update ${t.runs} set last_seq = $2, updated_at = $3, last_event = $4 where run_id = $1`, [
        runId,
        last.seq,
        head.now,
        last.type,
      ]);
      return events;
    });
  }

  async read(runId: string, afterSeq = 0): Promise<RunEvent[]> {
    const rows = await this.query<{ seq: string | null; event: string | null }>(
      "read the journal",
      // The run's row comes back even without events after `afterSeq`: no row at all is an unknown run.
      `select e.seq, e.event::text as event from ${this.tables.runs} r
       left join ${this.tables.events} e on e.run_id = r.run_id and e.seq > $2
       where r.run_id = $1 order by e.seq`,
      [runId, afterSeq],
    );
    if (rows.length === 0) {
      throw new CutoverError(ErrorCode.RunNotFound, `no run ${runId} in the PostgreSQL state store ${this.target}`, {
        hint: "`cutover runs --playbook <file>` lists the runs of this state store",
        details: { runId },
      });
    }
    const checker = new JournalChecker(runId, { lastSeq: afterSeq });
    const events: RunEvent[] = [];
    for (const row of rows) {
      if (row.seq === null || row.event === null) continue; // the run's row alone: nothing after afterSeq
      const where = `PostgreSQL: the journal of run ${runId} in ${this.tables.events} is damaged at seq ${row.seq}`;
      let value: unknown;
      try {
        value = JSON.parse(row.event);
      } catch (e) {
        throw new CutoverError(ErrorCode.JournalCorrupt, `${where}: not valid JSON`, {
          cause: e,
          details: { runId, seq: row.seq },
        });
      }
      const checked = checker.next(value);
      if (!checked.ok)
        throw new CutoverError(ErrorCode.JournalCorrupt, `${where}: ${checked.why}`, {
          hint: refusalHint(checked),
          details: { runId, seq: row.seq },
        });
      events.push(checked.event);
    }
    return events;
  }

  async listRuns(options: { environment?: string; limit?: number } = {}): Promise<RunSummary[]> {
    const limit = options.limit !== undefined ? Math.max(0, Math.floor(options.limit)) : null; // LIMIT NULL is no limit
    const rows = await this.query<{
      run_id: string;
      playbook: string;
      environment: string;
      started_at: Date;
      updated_at: Date;
      last_event: string;
    }>(
      "list runs",
      `select run_id, playbook, environment, started_at, updated_at, last_event from ${this.tables.runs}
       where $1::text is null or environment = $1 order by started_at desc, run_id desc limit $2`,
      [options.environment ?? null, limit],
    );
    return rows.map((r) => ({
      runId: r.run_id,
      playbook: r.playbook,
      environment: r.environment,
      startedAt: r.started_at.toISOString(),
      updatedAt: r.updated_at.toISOString(),
      lastEvent: r.last_event,
    }));
  }

  acquireLease(req: LeaseRequest): Promise<LeaseInfo> {
    return this.leases.acquire(req);
  }
  renewLease(lease: LeaseInfo, ttlMs: number): Promise<LeaseInfo> {
    return this.leases.renew(lease, ttlMs);
  }
  releaseLease(lease: LeaseInfo): Promise<void> {
    return this.leases.release(lease);
  }
  forceLease(req: LeaseRequest): Promise<{ lease: LeaseInfo; previous?: LeaseInfo }> {
    return this.leases.force(req);
  }
  readLease(environment: string): Promise<LeaseInfo | undefined> {
    return this.leases.read(environment);
  }

  async close(): Promise<void> {
    await this.pool.end().catch(() => undefined);
  }

  /** A pooled connection with the tables in place; every failure of the driver named with the target. */
  private async withClient<T>(
    operation: string,
    resource: string,
    fn: (client: pg.PoolClient) => Promise<T>,
  ): Promise<T> {
    let client: pg.PoolClient | undefined;
    try {
      client = await this.pool.connect();
      if (!this.ready) {
        const c = client;
        this.ready = ensureStateTables(c, this.tables).catch((e: unknown) => {
          this.ready = undefined;
          throw e;
        });
      }
      await this.ready;
      return await fn(client);
    } catch (e) {
      throw this.translate(e, operation, resource);
    } finally {
      client?.release();
    }
  }

  async query<R extends pg.QueryResultRow>(operation: string, sql: string, params: unknown[]): Promise<R[]> {
    return this.withClient(
      operation,
      `schema ${this.tables.schema}`,
      async (client) => (await client.query<R>(sql, params)).rows,
    );
  }

  private transaction<T>(operation: string, resource: string, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    return this.withClient(operation, resource, async (client) => {
      await client.query("begin");
      try {
        const out = await fn(client);
        await client.query("commit");
        return out;
      } catch (e) {
        await client.query("rollback").catch(() => undefined);
        throw e;
      }
    });
  }

  private translate(e: unknown, operation: string, resource: string): unknown {
    if (isCutoverError(e)) return e;
    const err = e as { code?: string; message?: string };
    // A unique violation on (run_id, seq) can only mean another writer got there first.
    if (err.code === "23505" && operation === APPEND) return conflict(resource.replace(/^run /, ""), -1);
    const message = (err.message ?? String(e)).split("\n")[0];
    return new CutoverError(
      ErrorCode.Provider,
      `PostgreSQL state store ${this.target}: cannot ${operation} (${resource}): ${message}`,
      {
        cause: e,
        retryable: true,
        hint: "check that the database is reachable and the user may use (or create) the state_* tables in its schema",
        details: { target: this.target, sqlState: err.code ?? null },
      },
    );
  }
}

function conflict(runId: string, expectedSeq: number, actual?: number): CutoverError {
  const after = expectedSeq >= 0 ? ` after sequence ${expectedSeq}` : "";
  return new CutoverError(
    ErrorCode.JournalConflict,
    `run ${runId}: another writer appended${after}` + (actual !== undefined ? ` (the journal is at ${actual})` : ""),
    { hint: "Another agent is driving this run; `cutover status` shows its state.", details: { runId, expectedSeq } },
  );
}
