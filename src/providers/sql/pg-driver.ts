/**
 * PostgreSQL driver over `pg`. One `pg.Client` per connection: the migration
 * runner needs a dedicated lock/heartbeat session that never opens a
 * transaction (so CREATE INDEX CONCURRENTLY never waits on it) beside the
 * execution session, so nothing is pooled.
 */
import type pg from "pg";
import { createRequire } from "node:module";
import type { Row, SessionSettings, SqlClient, SqlConnection } from "./driver.js";
import { postgresOps } from "./dialect-ops.js";
import { makeJournalSql } from "./journal-sql.js";

/** `pg` is loaded when a connection is first made, not when the CLI starts (it costs ~40 ms of CPU to load). */
export const loadPg = (): typeof pg => createRequire(import.meta.url)("pg") as typeof pg;

export interface PgClientOptions {
  connectionString: string;
  schema: string;
  settings: SessionSettings;
  applicationName?: string;
}

/** `postgres://user@host:port/db`, never the password or query options. */
export function describePgTarget(connectionString: string): string {
  try {
    const u = new URL(connectionString);
    const user = u.username ? `${decodeURIComponent(u.username)}@` : "";
    return `postgres://${user}${u.hostname}${u.port ? ":" + u.port : ""}${u.pathname}`;
  } catch {
    return "postgres (connection string withheld)";
  }
}

export function createPgClient(options: PgClientOptions): SqlClient {
  return {
    dialect: "postgres",
    target: describePgTarget(options.connectionString),
    journalScope: options.schema,
    settings: options.settings,
    sql: makeJournalSql("postgres", options.schema),
    ops: postgresOps,
    connect: (purpose) => PgConnection.open(options, purpose),
    close: async () => {},
  };
}

class PgConnection implements SqlConnection {
  readonly dialect = "postgres" as const;
  private inTx = false;

  private constructor(
    private readonly client: pg.Client,
    private readonly options: PgClientOptions,
    private readonly pid: number,
  ) {}

  static async open(options: PgClientOptions, purpose: string): Promise<PgConnection> {
    const client = new (loadPg().Client)({
      connectionString: options.connectionString,
      application_name: `${options.applicationName ?? "cutover"}:${purpose}`.slice(0, 63),
      // Dead peers are noticed by the OS, so a partitioned client's session (and its advisory lock) ends.
      keepAlive: true,
    });
    // An idle client whose server went away emits 'error'; without a listener that would crash the process.
    client.on("error", () => {});
    await client.connect();
    const res = await client.query<{ pid: number }>("select pg_backend_pid() as pid");
    const conn = new PgConnection(client, options, res.rows[0]?.pid ?? 0);
    await conn.applySettings(options.settings);
    return conn;
  }

  async query<R extends Row = Row>(sql: string, params: unknown[] = []): Promise<R[]> {
    const res = await this.client.query(sql, params);
    return res.rows as R[];
  }

  async exec(sql: string): Promise<void> {
    await this.client.query(sql);
  }

  async transaction<T>(fn: () => Promise<T>, options: { readOnly?: boolean } = {}): Promise<T> {
    if (this.inTx) throw new Error("nested transaction on one connection");
    this.inTx = true;
    try {
      await this.client.query(options.readOnly ? "begin read only" : "begin");
      try {
        const out = await fn();
        await this.client.query("commit");
        return out;
      } catch (e) {
        await this.client.query("rollback").catch(() => {});
        throw e;
      }
    } finally {
      this.inTx = false;
    }
  }

  async applySettings(settings: SessionSettings): Promise<void> {
    // Session-level SET (not SET LOCAL): the guards hold for every statement of the session.
    const ms = (n: number) => Math.max(0, Math.floor(n));
    await this.client.query(
      `set lock_timeout = ${ms(settings.lockTimeoutMs)}; set statement_timeout = ${ms(settings.statementTimeoutMs)}` +
        (settings.idleInTransactionTimeoutMs !== undefined
          ? `; set idle_in_transaction_session_timeout = ${ms(settings.idleInTransactionTimeoutMs)}`
          : ""),
    );
  }

  async cancel(): Promise<void> {
    const other = new (loadPg().Client)({ connectionString: this.options.connectionString });
    other.on("error", () => {});
    try {
      await other.connect();
      await other.query("select pg_cancel_backend($1)", [this.pid]);
    } finally {
      await other.end().catch(() => {});
    }
  }

  async close(): Promise<void> {
    await this.client.end().catch(() => {});
  }
}
