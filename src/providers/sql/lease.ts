/**
 * The migration lock that never sticks (Squidex and Liquibase leave theirs
 * held forever after a crash). Two layers:
 *
 * 1. A lease row, the source of truth: taken by one atomic UPDATE when free
 *    or expired by the database clock, renewed by a heartbeat, and carrying a
 *    fencing token that grows on every acquisition. Every journal write checks
 *    the token inside its own transaction, so a paused old holder whose lease
 *    was taken over cannot write.
 * 2. On PostgreSQL, a session advisory lock on a dedicated connection that
 *    never opens a transaction (CREATE INDEX CONCURRENTLY would wait on it).
 *    Others fail fast with "held by …"; and when the advisory lock is free the
 *    previous holder's session is gone, so its unexpired lease may be taken
 *    over at once instead of after the TTL.
 *
 * SQLite has one writer and no separate sessions worth the name: the lease
 * lives on the caller's connection and is renewed between scripts/batches.
 */
import { createHash } from "node:crypto";
import os from "node:os";
import { CutoverError, ErrorCode } from "../../core/errors.js";
import { pause, timerDelay } from "../../core/timers.js";
import { isLockTimeout, type Row, type SqlClient, type SqlConnection } from "./driver.js";
import { ensureJournal } from "./journal.js";
import { parseHolder } from "../../core/lease-holder.js";
import { isGoneFromThisHost } from "../../core/process-identity.js";

export const LEASE_NAME = "migrations";

export interface LeaseOptions {
  runId: string;
  /** How long the lease lives without a heartbeat. */
  ttlMs: number;
  /** How long to wait for a busy lease before failing with ENV_LOCKED (0 = fail fast). */
  waitMs: number;
  /** Take the lease whoever holds it (an audited break-glass act). */
  force?: boolean;
  log?: { info(m: string): void; warn(m: string): void };
  /** Called once when the lease is lost (heartbeat refused): cancel in-flight work. */
  onLost?: () => void;
  signal?: AbortSignal;
}

export interface LeaseState {
  holder: string | null;
  runId: string | null;
  token: number;
  acquiredAt: string | null;
  heartbeatAt: string | null;
  expiresAt: string | null;
  live: boolean;
}

export function describeHolder(): string {
  let user = "unknown";
  try {
    user = os.userInfo().username;
  } catch {
    /* no passwd entry in some containers */
  }
  return `${user}@${os.hostname()} pid ${process.pid}`;
}

/** Whether `holder` (as written by describeHolder) names a process on this host that no longer exists. */
function holderProcessGone(holder: string | null): boolean {
  const h = parseHolder(holder);
  return h !== undefined && isGoneFromThisHost(h.host, h.pid);
}

/** The advisory-lock key of a journal scope: stable across processes and versions. */
export function advisoryKey(scope: string): string {
  return createHash("sha256").update(`cutover:migrations:${scope}`).digest().readBigInt64BE(0).toString();
}

const iso = (v: unknown): string | null =>
  v === null || v === undefined ? null : v instanceof Date ? v.toISOString() : String(v);

export async function readLease(conn: SqlConnection, client: SqlClient): Promise<LeaseState | undefined> {
  const t = client.sql.tables.lease;
  const rows = await conn.query(
    `select holder, run_id, token, acquired_at, heartbeat_at, expires_at, case when holder is not null and ` +
      `expires_at > ${client.sql.now} then 1 else 0 end as live from ${t} where name = $1`,
    [LEASE_NAME],
  );
  const r = rows[0];
  if (!r) return undefined;
  return {
    holder: (r.holder as string | null) ?? null,
    runId: (r.run_id as string | null) ?? null,
    token: Number(r.token),
    acquiredAt: iso(r.acquired_at),
    heartbeatAt: iso(r.heartbeat_at),
    expiresAt: iso(r.expires_at),
    live: Number(r.live) === 1,
  };
}

export function describeLease(l: LeaseState): string {
  return (
    `held by ${l.holder ?? "nobody"}${l.runId ? ` (run ${l.runId})` : ""} since ${l.acquiredAt}, last heartbeat ` +
    `${l.heartbeatAt}, expires ${l.expiresAt}`
  );
}

/** How long past its wait a runner keeps trying while the lease is between holders. */
const SETTLE_MS = 2_000;

export class MigrationLease {
  private timer: NodeJS.Timeout | undefined;
  private lost = false;
  private lastBeat = Date.now();

  private constructor(
    private readonly client: SqlClient,
    /** The connection the lease row is written from (PG: dedicated; SQLite: the caller's). */
    private readonly conn: SqlConnection,
    private readonly ownsConn: boolean,
    readonly token: number,
    readonly holder: string,
    private readonly options: LeaseOptions,
    private holdsAdvisory: boolean,
  ) {}

  /** Acquire the lease (waiting up to `waitMs`), creating the bookkeeping tables if needed. */
  static async acquire(client: SqlClient, execConn: SqlConnection, options: LeaseOptions): Promise<MigrationLease> {
    const pg = client.dialect === "postgres";
    const conn = pg ? await client.connect("lease") : execConn;
    try {
      await ensureJournal(conn, client.sql);
      const holder = describeHolder();
      const deadline = Date.now() + options.waitMs;
      const key = advisoryKey(client.journalScope);
      for (let attempt = 0; ; attempt++) {
        let advisory = false;
        if (pg) {
          const r = await conn.query("select pg_try_advisory_lock($1::bigint) as ok", [key]);
          advisory = r[0]?.ok === true;
        }
        const before = await readLease(conn, client);
        // With the advisory lock ours, whoever the lease row names has no live session left.
        // SQLite (one machine): a holder whose process is gone from this host is dead too.
        const deadLocal = !pg && before?.live === true && holderProcessGone(before.holder);
        const steal = options.force === true || advisory || deadLocal;
        // On PostgreSQL a free row is taken only with the advisory lock: a runner without it
        // would hold a lease whose liveness others infer from that lock, and could have it
        // stolen while alive (someone else is taking or releasing the lease right now).
        const takeFree = !pg || steal;
        let token: number | undefined;
        try {
          token = await tryTake(conn, client, holder, options, steal, takeFree);
        } catch (e) {
          // Another writer holds the lease row or (SQLite) the database: that is "busy", not an error.
          if (!isLockTimeout(e)) throw e;
        }
        if (token !== undefined) {
          if (pg) {
            // Name our executor session after the token, so a successor can find it if we die.
            await execConn.query("select set_config('application_name', $1, false)", [executorName(client, token)]);
            if (advisory && before?.holder) await terminateOrphanedExecutor(conn, client, before.token, options);
          }
          if (before?.live) {
            options.log?.warn(
              `took over the migration lease from ${before.holder} ` +
                `(${options.force ? "forced" : deadLocal ? "its process is gone" : "its database session is gone"})`,
            );
          } else if (!advisory && pg) {
            options.log?.warn(
              `took over an expired migration lease whose holder ${before?.holder ?? "?"} still has a database ` +
                `session; its journal writes will be refused`,
            );
          }
          const lease = new MigrationLease(client, conn, pg, token, holder, options, advisory);
          lease.startHeartbeat();
          return lease;
        }
        if (advisory) await conn.query("select pg_advisory_unlock($1::bigint)", [key]);
        const current = await readLease(conn, client);
        // A free row with the advisory lock busy settles within moments: not a reason to fail fast.
        const settling = pg && !current?.holder && Date.now() < deadline + SETTLE_MS;
        if ((Date.now() >= deadline && !settling) || options.signal?.aborted) {
          throw new CutoverError(
            ErrorCode.Locked,
            `the migration lease on ${client.target} is ${current ? describeLease(current) : "held"}`,
            {
              hint: "wait for that run to finish, or raise `leaseWait`; a crashed holder's lease expires on its own",
              details: {
                holder: current?.holder ?? null,
                runId: current?.runId ?? null,
                expiresAt: current?.expiresAt ?? null,
              },
            },
          );
        }
        if (attempt === 0)
          options.log?.info(`waiting for the migration lease (${current ? describeLease(current) : "busy"})`);
        // Backoff with jitter so racing runners do not poll in lockstep.
        await pause(Math.min(2000, 100 * 2 ** Math.min(attempt, 4)) * (0.5 + Math.random()), options.signal);
      }
    } catch (e) {
      if (pg) await conn.close();
      throw e;
    }
  }

  private startHeartbeat(): void {
    if (!this.ownsConn) return; // SQLite: beat() between units of work, on the single writer connection.
    const every = Math.max(50, Math.floor(this.options.ttlMs / 3));
    this.timer = setInterval(() => void this.beat(true), timerDelay(every, "the migration lease's heartbeat"));
    this.timer.unref();
  }

  /** Renew the lease if a third of the TTL has passed (or always with `force`). Marks it lost if refused. */
  async beat(force = false): Promise<void> {
    if (this.lost) return;
    if (!force && Date.now() - this.lastBeat < this.options.ttlMs / 3) return;
    try {
      const t = this.client.sql.tables.lease;
      const rows = await this.conn.query(
        `update ${t} set heartbeat_at = ${this.client.sql.now}, expires_at = ${this.client.sql.nowPlusMs("$3")} ` +
          `where name = $1 and token = $2 and holder is not null returning token`,
        [LEASE_NAME, this.token, this.options.ttlMs],
      );
      if (this.client.dialect === "sqlite") {
        const check = await readLease(this.conn, this.client);
        if (check?.token !== this.token) this.markLost();
      } else if (rows.length === 0) this.markLost();
      this.lastBeat = Date.now();
    } catch {
      // The lease connection is broken: our advisory lock is gone, so others may take over now.
      this.markLost();
    }
  }

  private markLost(): void {
    if (this.lost) return;
    this.lost = true;
    this.options.log?.warn("the migration lease was lost (taken over or expired); stopping");
    this.options.onLost?.();
  }

  get isLost(): boolean {
    return this.lost;
  }

  /** Throw LEASE_LOST if a heartbeat was refused. Cheap; call before each unit of work. */
  assertHeld(): void {
    if (this.lost) throw leaseLost();
  }

  async release(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    try {
      await this.conn.query(
        `update ${this.client.sql.tables.lease} set holder = null, expires_at = ${this.client.sql.now} where ` +
          `name = $1 and token = $2`,
        [LEASE_NAME, this.token],
      );
      if (this.holdsAdvisory)
        await this.conn.query("select pg_advisory_unlock($1::bigint)", [advisoryKey(this.client.journalScope)]);
      this.holdsAdvisory = false;
    } catch {
      /* a lease we cannot release expires on its own */
    } finally {
      if (this.ownsConn) await this.conn.close();
    }
  }
}

/** application_name of the session executing scripts under lease `token`. */
function executorName(client: SqlClient, token: number): string {
  return `cutover:exec:${client.journalScope}:${token}`.slice(0, 63);
}

/**
 * The previous holder's session is gone (its advisory lock is free), but its
 * executor may still be running a statement the server has not noticed is
 * orphaned (pg_sleep, a long UPDATE holding row locks). End it, so its
 * transaction rolls back now instead of blocking this run.
 */
async function terminateOrphanedExecutor(
  conn: SqlConnection,
  client: SqlClient,
  oldToken: number,
  o: LeaseOptions,
): Promise<void> {
  try {
    const rows = await conn.query(
      "select pid, pg_terminate_backend(pid) as ok from pg_stat_activity where application_name = $1 and datname " +
        "= current_database() and pid <> pg_backend_pid()",
      [executorName(client, oldToken)],
    );
    for (const r of rows)
      o.log?.warn(`ended the orphaned executor session (pid ${r.pid}) of the previous lease holder`);
  } catch {
    /* not permitted: its statement_timeout will end it */
  }
}

async function tryTake(
  conn: SqlConnection,
  client: SqlClient,
  holder: string,
  o: LeaseOptions,
  steal: boolean,
  takeFree: boolean,
): Promise<number | undefined> {
  const { tables, now, nowPlusMs, boolParam } = client.sql;
  await conn.query(`insert into ${tables.lease} (name, token) values ($1, 0) on conflict (name) do nothing`, [
    LEASE_NAME,
  ]);
  const rows: Row[] = await conn.query(
    `update ${tables.lease} set holder = $2, run_id = $3, token = token + 1, acquired_at = ${now}, heartbeat_at ` +
      `= ${now}, expires_at = ${nowPlusMs("$4")}
      where name = $1 and ((holder is null and ${boolParam("$6")}) or (holder is not null and expires_at < ${now}) ` +
      `or ${boolParam("$5")}) returning token`,
    [LEASE_NAME, holder, o.runId, o.ttlMs, steal, takeFree],
  );
  return rows[0] ? Number(rows[0].token) : undefined;
}

function leaseLost(): CutoverError {
  return new CutoverError(
    ErrorCode.LeaseLost,
    "the migration lease was taken over by another runner; this runner's journal writes are refused",
    {
      hint: "another run now owns the migrations; check `cutover migrate status`",
    },
  );
}

/**
 * Inside a write transaction: refuse unless `token` is still the lease's
 * token. On PostgreSQL the row is read FOR SHARE, so a concurrent takeover
 * waits for this transaction (or this transaction sees the new token). Take
 * that row lock only right before commit (`lock: false` for an early check):
 * held across a long script it would block the takeover and the heartbeat.
 */
export async function assertFence(
  conn: SqlConnection,
  client: SqlClient,
  token: number,
  options: { lock?: boolean } = {},
): Promise<void> {
  const lock = options.lock === false ? "" : client.sql.forShare;
  const rows = await conn.query(`select token from ${client.sql.tables.lease} where name = $1${lock}`, [LEASE_NAME]);
  if (Number(rows[0]?.token) !== token) throw leaseLost();
}
