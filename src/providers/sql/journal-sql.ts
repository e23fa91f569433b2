/**
 * The dialect-specific SQL of the migration bookkeeping tables: the journal
 * (one row per attempt), the lease, data-hash snapshots and backfill
 * checkpoints. Times are `timestamptz` judged by the server clock on
 * PostgreSQL, and ISO-8601 text from SQLite's clock (the local clock: SQLite
 * is embedded, so there is one machine and a single writer).
 */
import type { Dialect } from "./driver.js";

interface JournalTables {
  journal: string;
  lease: string;
  hash: string;
  backfill: string;
}

export interface JournalSql {
  dialect: Dialect;
  tables: JournalTables;
  /** DDL creating the tables if missing; each entry is one statement. */
  ensure: string[];
  /**
   * Serialises concurrent first runs inside the creating transaction (CREATE ... IF NOT EXISTS is not race-safe in PG).
   */
  ensureLock?: string;
  /**
   * Returns one row `{ n }`: 1 when the journal table exists. Catalog errors propagate (never read as "no journal").
   */
  journalExists: string;
  /** The database's current time, as an SQL expression. */
  now: string;
  /** `now + $n milliseconds`, as an SQL expression over parameter `param` (e.g. `$4`). */
  nowPlusMs(param: string): string;
  /** Row lock suffix for the fencing read inside a write transaction (SQLite already holds the write lock). */
  forShare: string;
  /** Cast of a boolean parameter. */
  boolParam(param: string): string;
}

/** Quote an identifier, keeping a `schema.table` dot as a separator. */
export function quoteIdent(name: string): string {
  return name
    .split(".")
    .map((part) => `"${part.replace(/"/g, '""')}"`)
    .join(".");
}

export function makeJournalSql(dialect: Dialect, scope: string): JournalSql {
  return dialect === "postgres" ? postgresSql(scope) : sqliteSql(scope);
}

function postgresSql(schema: string): JournalSql {
  const s = quoteIdent(schema);
  const tables = {
    journal: `${s}.migration_journal`,
    lease: `${s}.migration_lease`,
    hash: `${s}.data_hash`,
    backfill: `${s}.backfill_progress`,
  };
  return {
    dialect: "postgres",
    tables,
    ensure: [
      `create schema if not exists ${s}`,
      `create table if not exists ${tables.journal} (
        id bigserial primary key,
        seq integer not null,
        name text not null,
        phase text not null,
        checksum text not null,
        transactional boolean not null,
        status text not null,
        started_at timestamptz not null default now(),
        finished_at timestamptz,
        duration_ms integer,
        run_id text not null,
        release text,
        lease_token bigint not null,
        executed_by text not null,
        error text,
        acknowledged text not null default '',
        note text)`,
      `create index if not exists migration_journal_seq on ${tables.journal} (seq, id)`,
      `create table if not exists ${tables.lease} (
        name text primary key,
        holder text,
        run_id text,
        token bigint not null default 0,
        acquired_at timestamptz,
        heartbeat_at timestamptz,
        expires_at timestamptz)`,
      `create table if not exists ${tables.hash} (
        run_id text not null,
        name text not null,
        stage text not null,
        row_count bigint not null,
        hash text not null,
        columns text not null,
        taken_at timestamptz not null default now(),
        primary key (run_id, name, stage))`,
      `create table if not exists ${tables.backfill} (
        name text primary key,
        last_key text,
        upper_key text,
        rows_done bigint not null default 0,
        rows_total bigint not null default 0,
        status text not null,
        run_id text,
        lease_token bigint,
        updated_at timestamptz not null default now())`,
    ],
    ensureLock: `select pg_advisory_xact_lock(hashtext('cutover:ensure:${schema.replace(/'/g, "''")}'))`,
    journalExists:
      `select count(*)::int as n from pg_catalog.pg_tables where schemaname = '${schema.replace(/'/g, "''")}' and ` +
      `tablename = 'migration_journal'`,
    now: "now()",
    nowPlusMs: (p) => `(now() + ${p}::bigint * interval '1 millisecond')`,
    forShare: " for share",
    boolParam: (p) => `${p}::boolean`,
  };
}

function sqliteSql(prefix: string): JournalSql {
  const t = (n: string) => quoteIdent(`${prefix}${n}`);
  const tables = {
    journal: t("migration_journal"),
    lease: t("migration_lease"),
    hash: t("data_hash"),
    backfill: t("backfill_progress"),
  };
  const now = `strftime('%Y-%m-%dT%H:%M:%fZ', 'now')`;
  return {
    dialect: "sqlite",
    tables,
    ensure: [
      `create table if not exists ${tables.journal} (
        id integer primary key autoincrement,
        seq integer not null,
        name text not null,
        phase text not null,
        checksum text not null,
        transactional integer not null,
        status text not null,
        started_at text not null default (${now}),
        finished_at text,
        duration_ms integer,
        run_id text not null,
        release text,
        lease_token integer not null,
        executed_by text not null,
        error text,
        acknowledged text not null default '',
        note text)`,
      `create index if not exists ${t("migration_journal_seq")} on ${tables.journal} (seq, id)`,
      `create table if not exists ${tables.lease} (
        name text primary key,
        holder text,
        run_id text,
        token integer not null default 0,
        acquired_at text,
        heartbeat_at text,
        expires_at text)`,
      `create table if not exists ${tables.hash} (
        run_id text not null,
        name text not null,
        stage text not null,
        row_count integer not null,
        hash text not null,
        columns text not null,
        taken_at text not null default (${now}),
        primary key (run_id, name, stage))`,
      `create table if not exists ${tables.backfill} (
        name text primary key,
        last_key text,
        upper_key text,
        rows_done integer not null default 0,
        rows_total integer not null default 0,
        status text not null,
        run_id text,
        lease_token integer,
        updated_at text not null default (${now}))`,
    ],
    journalExists:
      `select count(*) as n from sqlite_master where type = 'table' and name = ` +
      `'${`${prefix}migration_journal`.replace(/'/g, "''")}'`,
    now,
    nowPlusMs: (p) => `strftime('%Y-%m-%dT%H:%M:%fZ', 'now', printf('%+.3f seconds', ${p} / 1000.0))`,
    forShare: "",
    boolParam: (p) => p,
  };
}
