/**
 * The `postgres` and `sqlite` provider kinds: environment entries whose
 * client offers capability `sql` to the migrate.* actions.
 *
 * ```yaml
 * environment:
 *   db: { provider: postgres, urlEnv: DATABASE_URL, schema: cutover, lockTimeout: 2s }
 *   demo-db: { provider: sqlite, path: ./demo.db }
 * ```
 */
import path from "node:path";
import { z } from "zod";
import type { ProviderDefinition } from "../../core/provider.js";
import { RunState } from "../../core/capabilities.js";
import type { RunStore } from "../../core/run-store.js";
import { withRunStore } from "../pg-state/index.js";
import { CutoverError, ErrorCode } from "../../core/errors.js";
import type { SqlClient } from "./driver.js";
import { Sql } from "./driver.js";
import { DURATION_RANGES, parseDuration } from "../../core/duration.js";
import { durationSchema } from "../../core/duration-schema.js";
import { createPgClient } from "./pg-driver.js";
import { createSqliteClient } from "./sqlite-driver.js";
import { DatabaseSnapshots, type DbSnapshots } from "./snapshots.js";
import { pgSnapshots } from "./pg-snapshots.js";
import { sqliteSnapshots } from "./sqlite-snapshots.js";

const sessionFields = {
  lockTimeout: durationSchema(
    "Default lock_timeout of every migration session: a DDL waiting longer for a lock fails (and is retried with " +
      "backoff) instead of queueing live traffic behind it.",
    DURATION_RANGES.sqlSession,
  ).default("2s"),
  statementTimeout: durationSchema(
    "Default statement_timeout of every migration session (PostgreSQL; 0 disables).",
    DURATION_RANGES.sqlSession,
  ).default("30m"),
};

export const postgresConfig = z
  .object({
    url: z
      .string()
      .min(1)
      .optional()
      .describe(
        "Connection URL, normally `${{ secrets.DATABASE_URL }}`. Never printed or journaled. Use a direct " +
          "connection, not a transaction-pooling PgBouncer (session advisory locks need a session).",
      ),
    urlEnv: z
      .string()
      .min(1)
      .optional()
      .describe("Name of the environment variable (or secret) holding the connection URL; an alternative to `url`."),
    schema: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "a plain identifier")
      .default("cutover")
      .describe(
        "Schema holding cutover's migration journal, lease, hash and backfill tables, and (as " +
          "`environment.state`) the state_runs, state_events and state_leases tables (created on first use).",
      ),
    ...sessionFields,
  })
  .strict()
  .refine((c) => (c.url === undefined) !== (c.urlEnv === undefined), {
    message: "set exactly one of `url` or `urlEnv`",
  });

export const sqliteConfig = z
  .object({
    path: z
      .string()
      .min(1)
      .describe(
        "Database file, relative to the playbook's directory (or to the state directory with `relativeTo: stateDir`).",
      ),
    relativeTo: z
      .enum(["playbook", "stateDir"])
      .default("playbook")
      .describe(
        "What a relative `path` is relative to: the playbook's directory, or cutover's state directory " +
          "(`.cutover`, where the local environment keeps the demo's database).",
      ),
    tablePrefix: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "a plain identifier")
      .default("cutover_")
      .describe("Prefix of cutover's journal, lease, hash and backfill tables in the same database file."),
    ...sessionFields,
  })
  .strict();

export const postgresProvider: ProviderDefinition<
  z.infer<typeof postgresConfig>,
  SqlClient & RunStore & DbSnapshots
> = {
  kind: "postgres",
  summary:
    "A PostgreSQL database (through `pg`) for the migrate.* and db.* actions, and a shared state store (run " +
    "journal + lease).",
  config: postgresConfig,
  capabilities: [Sql, RunState, DatabaseSnapshots],
  create(config, ctx) {
    const url = config.url ?? (config.urlEnv !== undefined ? ctx.secret(config.urlEnv) : undefined);
    if (!url) {
      throw new CutoverError(ErrorCode.Config, `environment entry '${ctx.name}': no PostgreSQL connection URL`, {
        hint: config.urlEnv ? `set the environment variable ${config.urlEnv}` : "set `url` or `urlEnv`",
      });
    }
    const sql = createPgClient({
      connectionString: url,
      schema: config.schema,
      settings: {
        lockTimeoutMs: parseDuration(config.lockTimeout),
        statementTimeoutMs: parseDuration(config.statementTimeout),
      },
      applicationName: "cutover",
    });
    return { ...withRunStore(sql, { connectionString: url, schema: config.schema }), ...pgSnapshots(sql, url) };
  },
};

export const sqliteProvider: ProviderDefinition<z.infer<typeof sqliteConfig>, SqlClient & DbSnapshots> = {
  kind: "sqlite",
  summary: "An embedded SQLite database file (through better-sqlite3) for the migrate.* and db.* actions.",
  config: sqliteConfig,
  capabilities: [Sql, DatabaseSnapshots],
  create(config, ctx) {
    const file = path.resolve(config.relativeTo === "stateDir" ? ctx.stateDir : ctx.baseDir, config.path);
    const sql = createSqliteClient({
      path: file,
      tablePrefix: config.tablePrefix,
      settings: {
        lockTimeoutMs: parseDuration(config.lockTimeout),
        statementTimeoutMs: parseDuration(config.statementTimeout),
      },
    });
    return { ...sql, ...sqliteSnapshots(sql, file) };
  },
};
