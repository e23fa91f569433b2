/**
 * SQLite driver over better-sqlite3 (synchronous, in-process). WAL mode so
 * readers (status, plan) never block the single writer; write transactions
 * start with BEGIN IMMEDIATE so the one writer is decided at BEGIN and
 * `busy_timeout` plays the part of PostgreSQL's lock_timeout.
 */
import Database from "better-sqlite3";
import type { Row, SessionSettings, SqlClient, SqlConnection } from "./driver.js";
import { sqliteOps } from "./dialect-ops.js";
import { makeJournalSql } from "./journal-sql.js";

export interface SqliteClientOptions {
  /** Absolute path of the database file. */
  path: string;
  tablePrefix: string;
  settings: SessionSettings;
}

export function createSqliteClient(options: SqliteClientOptions): SqlClient {
  return {
    dialect: "sqlite",
    target: `sqlite:${options.path}`,
    journalScope: options.tablePrefix,
    settings: options.settings,
    sql: makeJournalSql("sqlite", options.tablePrefix),
    ops: sqliteOps,
    connect: async () => {
      const conn = new SqliteConnection(new Database(options.path));
      conn.db.pragma("journal_mode = WAL");
      await conn.applySettings(options.settings);
      return conn;
    },
    close: async () => {},
  };
}

/** Rewrite `$1..$n` placeholders to `?` and order the values to match (better-sqlite3 binds by position). */
function toSqliteParams(sql: string, params: unknown[]): { sql: string; args: unknown[] } {
  const args: unknown[] = [];
  const out = sql.replace(/\$(\d+)/g, (_m, n: string) => {
    args.push(toSqliteValue(params[Number(n) - 1]));
    return "?";
  });
  return { sql: out, args };
}

function toSqliteValue(v: unknown): unknown {
  if (v === undefined) return null;
  if (typeof v === "boolean") return v ? 1 : 0;
  if (v instanceof Date) return v.toISOString();
  return v;
}

class SqliteConnection implements SqlConnection {
  readonly dialect = "sqlite" as const;
  constructor(readonly db: Database.Database) {}

  async query<R extends Row = Row>(sql: string, params: unknown[] = []): Promise<R[]> {
    const { sql: text, args } = toSqliteParams(sql, params);
    const stmt = this.db.prepare(text);
    if (stmt.reader) return stmt.all(...args) as R[];
    stmt.run(...args);
    return [];
  }

  async exec(sql: string): Promise<void> {
    this.db.exec(sql);
  }

  async transaction<T>(fn: () => Promise<T>, options: { readOnly?: boolean } = {}): Promise<T> {
    this.db.exec(options.readOnly ? "begin deferred" : "begin immediate");
    try {
      const out = await fn();
      this.db.exec("commit");
      return out;
    } catch (e) {
      if (this.db.inTransaction) this.db.exec("rollback");
      throw e;
    }
  }

  async applySettings(settings: SessionSettings): Promise<void> {
    this.db.pragma(`busy_timeout = ${Math.max(0, Math.floor(settings.lockTimeoutMs))}`);
  }

  async cancel(): Promise<void> {
    // better-sqlite3 runs statements synchronously: there is never one in flight to cancel from here.
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}
