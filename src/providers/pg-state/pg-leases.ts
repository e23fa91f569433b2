/**
 * Environment leases of the PostgreSQL state store: one row per environment
 * in `state_leases`, each change ONE statement, so two agents racing for a
 * lease are ordered by the row lock and exactly one wins.
 *
 * Expiry is judged by the DATABASE clock (`clock_timestamp()`, truncated to
 * milliseconds) inside the statement that takes the lease: agents whose own
 * clocks disagree still agree on who holds it. A released lease keeps its row
 * (released = true), so the fencing token keeps growing across holders.
 */
import type pg from "pg";
import { CutoverError, ErrorCode } from "../../core/errors.js";
import { checkLeaseTtl, leaseLockedError, leaseLostError } from "../../core/lease-errors.js";
import { LeaseHolder } from "../../core/lease-holder-schema.js";
import type { Fence, LeaseInfo, LeaseRequest } from "../../core/run-store.js";
import type { StateTables } from "./tables.js";

/** What the lease operations need of the store: its tables and one statement on a pooled connection. */
export interface LeaseDb {
  tables: StateTables;
  query<R extends pg.QueryResultRow>(operation: string, sql: string, params: unknown[]): Promise<R[]>;
}

interface LeaseRow extends pg.QueryResultRow {
  environment: string;
  token: string;
  released: boolean;
  holder: string;
  holder_user: string | null;
  holder_host: string | null;
  holder_pid: number | null;
  holder_run_id: string | null;
  run_id: string | null;
  acquired_at: Date;
  expires_at: Date;
}

const NOW = `date_trunc('milliseconds', clock_timestamp())`;
const COLUMNS =
  "environment, token, released, holder, holder_user, holder_host, holder_pid, holder_run_id, run_id, " +
  "acquired_at, expires_at";
const MAX_ATTEMPTS = 5;

export class PgLeases {
  constructor(private readonly db: LeaseDb) {}

  private get t(): string {
    return this.db.tables.leases;
  }

  /** The row, released or not (the fence check of an append reads it in its own transaction instead). */
  private async row(environment: string): Promise<(LeaseRow & { now: Date }) | undefined> {
    const rows = await this.db.query<LeaseRow & { now: Date }>(
      "read the lease",
      `select ${COLUMNS}, ${NOW} as now from ${this.t} where environment = $1`,
      [environment],
    );
    return rows[0];
  }

  async read(environment: string): Promise<LeaseInfo | undefined> {
    const row = await this.row(environment);
    return row && !row.released ? toLease(row) : undefined;
  }

  async acquire(req: LeaseRequest): Promise<LeaseInfo> {
    checkLeaseTtl(req.ttlMs);
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      // Insert, or take over a released or expired row; a live lease makes the upsert's WHERE false: no row back.
      const rows = await this.db.query<LeaseRow>(
        "take the lease",
        `${insertLease(this.t)}
         on conflict (environment) do update set ${takeOver("excluded")}
           where l.released or l.expires_at <= excluded.acquired_at
         returning ${COLUMNS}`,
        requestParams(req),
      );
      if (rows[0]) return toLease(rows[0]);
      const current = await this.row(req.environment);
      if (current && !current.released && current.expires_at > current.now) {
        const left = Math.max(0, Math.ceil((current.expires_at.getTime() - current.now.getTime()) / 1000));
        throw leaseLockedError(toLease(current), `${left}s from now by the database's clock`);
      }
      // Released or expired between the two statements: try again.
    }
    throw new CutoverError(
      ErrorCode.Locked,
      `environment ${req.environment}: lost the race for the lease ${MAX_ATTEMPTS} times`,
      {
        hint: "other agents are taking and releasing this environment's lease at the same moment; try again",
      },
    );
  }

  async renew(lease: LeaseInfo, ttlMs: number): Promise<LeaseInfo> {
    checkLeaseTtl(ttlMs);
    const rows = await this.db.query<LeaseRow>(
      "renew the lease",
      `update ${this.t} set expires_at = ${NOW} + $3::bigint * interval '1 millisecond'
       where environment = $1 and token = $2 and not released returning ${COLUMNS}`,
      [lease.environment, lease.token, Math.ceil(ttlMs)],
    );
    if (rows[0]) return toLease(rows[0]);
    throw leaseLostError(lease, await this.read(lease.environment));
  }

  async release(lease: LeaseInfo): Promise<void> {
    await this.db.query(
      "release the lease",
      `update ${this.t} set released = true, expires_at = ${NOW}
       where environment = $1 and token = $2 and not released`,
      [lease.environment, lease.token],
    );
  }

  async force(req: LeaseRequest): Promise<{ lease: LeaseInfo; previous?: LeaseInfo }> {
    checkLeaseTtl(req.ttlMs);
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      // The sub-select locks the row and yields its values before the update: the previous holder, exactly.
      const taken = await this.db.query<LeaseRow & { prev: LeaseRow | null }>(
        "take the lease over",
        `update ${this.t} l set ${takeOver("r")}
         from (select ${COLUMNS} from ${this.t} where environment = $1 for update) old,
              (select $2::text as holder, $3::text as holder_user, $4::text as holder_host, $5::integer as holder_pid,
                      $6::text as holder_run_id, $7::text as run_id, ${NOW} as acquired_at,
                      ${NOW} + $8::bigint * interval '1 millisecond' as expires_at) r
         where l.environment = old.environment
         returning ${prefixed("l")}, case when old.released then null else row_to_json(old) end as prev`,
        requestParams(req),
      );
      const row = taken[0];
      if (row) {
        const lease = toLease(row);
        if (!row.prev) return { lease };
        const prev = row.prev;
        return {
          lease,
          previous: toLease({
            ...prev,
            acquired_at: new Date(prev.acquired_at),
            expires_at: new Date(prev.expires_at),
          }),
        };
      }
      const created = await this.db.query<LeaseRow>(
        "take the lease over",
        `${insertLease(this.t)} on conflict (environment) do nothing returning ${COLUMNS}`,
        requestParams(req),
      );
      if (created[0]) return { lease: toLease(created[0]) };
    }
    throw new CutoverError(
      ErrorCode.Locked,
      `environment ${req.environment}: lost the race to take the lease over ${MAX_ATTEMPTS} times`,
      {
        hint: "someone else is taking this environment at the same moment; look with `cutover status` and try again",
      },
    );
  }

  /** Within an append's transaction: lock the lease row (shared) and refuse unless `fence` is the current lease. */
  async checkFence(client: pg.ClientBase, fence: Fence): Promise<void> {
    const res = await client.query<LeaseRow>(`select ${COLUMNS} from ${this.t} where environment = $1 for share`, [
      fence.environment,
    ]);
    const row = res.rows[0];
    if (!row || row.released || Number(row.token) !== fence.token) {
      throw leaseLostError(
        { environment: fence.environment, token: fence.token },
        row && !row.released ? toLease(row) : undefined,
        "the journal write was refused",
      );
    }
  }
}

/** `insert … select` of a new lease row from the request (token 1: the first of this environment), aliased `l`. */
function insertLease(table: string): string {
  return `insert into ${table} as l (${COLUMNS})
    select $1, 1, false, $2, $3, $4, $5, $6, $7, n.now, n.now + $8::bigint * interval '1 millisecond'
    from (select ${NOW} as now) n`;
}

/** The SET list that hands the row `l` to the request's values in `src` (`excluded` in an upsert). */
function takeOver(src: string): string {
  return [
    "token = l.token + 1",
    "released = false",
    ...[
      "holder",
      "holder_user",
      "holder_host",
      "holder_pid",
      "holder_run_id",
      "run_id",
      "acquired_at",
      "expires_at",
    ].map((c) => `${c} = ${src}.${c}`),
  ].join(", ");
}

function prefixed(alias: string): string {
  return COLUMNS.split(", ")
    .map((c) => `${alias}.${c}`)
    .join(", ");
}

function requestParams(req: LeaseRequest): unknown[] {
  const by = req.by;
  return [
    req.environment,
    req.holder,
    by?.user ?? null,
    by?.host ?? null,
    by?.pid ?? null,
    by?.runId ?? null,
    req.runId ?? null,
    Math.ceil(req.ttlMs),
  ];
}

function toLease(row: LeaseRow): LeaseInfo {
  const by = LeaseHolder.safeParse({
    user: row.holder_user,
    host: row.holder_host,
    pid: row.holder_pid,
    ...(row.holder_run_id !== null ? { runId: row.holder_run_id } : {}),
  });
  return {
    environment: row.environment,
    holder: row.holder,
    ...(by.success ? { by: by.data } : {}),
    ...(row.run_id !== null ? { runId: row.run_id } : {}),
    token: Number(row.token),
    acquiredAt: row.acquired_at.toISOString(),
    expiresAt: row.expires_at.toISOString(),
  };
}
