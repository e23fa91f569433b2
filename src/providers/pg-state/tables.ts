/**
 * The PostgreSQL state store's tables, in the entry's `schema` (default
 * `cutover`, shared with the migration tables, whose names differ), created on
 * first use if missing. A DBA may create them beforehand instead: when all
 * three exist, cutover runs no DDL and needs no CREATE privilege.
 *
 *   state_runs     one row per run: the run index (listRuns) and the head an
 *                  append locks (last_seq), so appends of one run are serial
 *   state_events   one row per event: (run_id, seq) primary key, the event's JSON text
 *   state_leases   one row per environment: the lease, kept after release so
 *                  the fencing token only grows
 */
import type pg from "pg";
import { quoteIdent } from "../sql/journal-sql.js";

export interface StateTables {
  schema: string;
  runs: string;
  events: string;
  leases: string;
}

export function stateTables(schema: string): StateTables {
  const s = quoteIdent(schema);
  return { schema, runs: `${s}.state_runs`, events: `${s}.state_events`, leases: `${s}.state_leases` };
}

function ddl(t: StateTables): string[] {
  return [
    `create schema if not exists ${quoteIdent(t.schema)}`,
    `create table if not exists ${t.runs} (
      run_id text primary key,
      environment text not null,
      playbook text not null,
      started_at timestamptz not null,
      updated_at timestamptz not null,
      last_seq bigint not null,
      last_event text not null)`,
    `create index if not exists state_runs_newest on ${t.runs} (started_at desc, run_id desc)`,
    `create index if not exists state_runs_env_newest on ${t.runs} (environment, started_at desc, run_id desc)`,
    // json, not jsonb: the text is kept as written (jsonb refuses \\u0000 and reorders keys).
    `create table if not exists ${t.events} (
      run_id text not null,
      seq bigint not null,
      event json not null,
      primary key (run_id, seq))`,
    `create table if not exists ${t.leases} (
      environment text primary key,
      token bigint not null,
      released boolean not null,
      holder text not null,
      holder_user text,
      holder_host text,
      holder_pid integer,
      holder_run_id text,
      run_id text,
      acquired_at timestamptz not null,
      expires_at timestamptz not null)`,
  ];
}

/** Create what is missing; two processes doing it at once are serialised by a transaction-scoped advisory lock. */
export async function ensureStateTables(client: pg.ClientBase, t: StateTables): Promise<void> {
  const names = [t.runs, t.events, t.leases];
  const present = await client.query<{ n: number }>(
    `select count(to_regclass(x))::int as n from unnest($1::text[]) as x`,
    [names],
  );
  if (present.rows[0]?.n === names.length) return;
  await client.query("begin");
  try {
    await client.query(`select pg_advisory_xact_lock(hashtext($1))`, [`cutover:state:${t.schema}`]);
    for (const statement of ddl(t)) await client.query(statement);
    await client.query("commit");
  } catch (e) {
    await client.query("rollback").catch(() => undefined);
    throw e;
  }
}
