/**
 * The small driver interface the migration engine talks to. Everything that
 * differs between PostgreSQL and SQLite lives behind it: connections,
 * placeholders, transactions, cancellation and the dialect's journal SQL
 * (see journal-sql.ts). The engine writes `$1, $2` placeholders; the SQLite
 * driver rewrites them.
 */
import { capability } from "../../core/capabilities.js";
import type { DialectOps } from "./dialect-ops.js";
import type { JournalSql } from "./journal-sql.js";

export type Dialect = "postgres" | "sqlite";

export type Row = Record<string, unknown>;

/** Session guards every migration connection applies (DESIGN: live traffic first). */
export interface SessionSettings {
  /** Longest wait for one lock before the statement fails (PG `lock_timeout`, SQLite busy timeout). */
  lockTimeoutMs: number;
  /** Longest run of one statement (PG `statement_timeout`; ignored by SQLite). */
  statementTimeoutMs: number;
  /**
   * PG `idle_in_transaction_session_timeout`: a runner frozen inside a transaction
   * (SIGSTOP, a debugger) loses its session and its row locks instead of blocking traffic.
   */
  idleInTransactionTimeoutMs?: number;
}

/** One connection, used by one task at a time. */
export interface SqlConnection {
  readonly dialect: Dialect;
  /** One statement with positional `$1..$n` parameters; rows as objects. */
  query<R extends Row = Row>(sql: string, params?: unknown[]): Promise<R[]>;
  /** A script of several statements and no parameters, sent as one simple-protocol batch. */
  exec(sql: string): Promise<void>;
  /**
   * Run `fn` inside BEGIN ... COMMIT, ROLLBACK if it throws. SQLite takes the
   * write lock up front (BEGIN IMMEDIATE) so the single writer is decided at BEGIN.
   */
  transaction<T>(fn: () => Promise<T>, options?: { readOnly?: boolean }): Promise<T>;
  /** Apply lock/statement timeouts to this session. */
  applySettings(settings: SessionSettings): Promise<void>;
  /** Ask the server to cancel the statement in flight, if any (PG only). */
  cancel(): Promise<void>;
  close(): Promise<void>;
}

/** What the `sql` capability hands to actions: a factory of connections plus facts about the target. */
export interface SqlClient {
  readonly dialect: Dialect;
  /** Safe description of the target for logs and plans: never a password or full URL. */
  readonly target: string;
  /** Where the journal, lease, hash and backfill tables live (PG schema / SQLite table prefix). */
  readonly journalScope: string;
  /** Default session guards (a step's `with` may override them). */
  readonly settings: SessionSettings;
  /** The dialect's SQL for the journal tables. */
  readonly sql: JournalSql;
  /** Dialect-specific introspection and hashing. */
  readonly ops: DialectOps;
  /** A new dedicated connection (the caller closes it). */
  connect(purpose: string): Promise<SqlConnection>;
  /** Close shared resources (nothing is pooled today, so this is cheap). */
  close(): Promise<void>;
}

/** Capability `sql`: the migrate.* actions' target database. */
export const Sql = capability<SqlClient>("sql");

/** PostgreSQL SQLSTATE for lock_not_available (lock_timeout fired, NOWAIT failed). */
const LOCK_NOT_AVAILABLE = "55P03";

/** Whether `e` is a lock timeout the runner may retry with backoff. */
export function isLockTimeout(e: unknown): boolean {
  const code = (e as { code?: unknown } | null)?.code;
  return code === LOCK_NOT_AVAILABLE || code === "SQLITE_BUSY" || code === "SQLITE_LOCKED";
}

/** The SQLSTATE / SQLite code of a driver error, if any (safe to print). */
export function sqlErrorCode(e: unknown): string | undefined {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : undefined;
}
