/**
 * `with` fields shared by the migrate.* actions, and the glue from a step's
 * input to the SQL provider's migration engine (src/providers/sql/).
 */
import path from "node:path";
import { z } from "zod";
import type { SqlClient } from "../providers/sql/driver.js";
import { Sql } from "../providers/sql/driver.js";
import { DURATION_RANGES, parseDuration } from "../core/duration.js";
import { durationSchema } from "../core/duration-schema.js";
import type { CompatCheck } from "../providers/sql/scripts.js";
import type { ActionContext } from "../core/action.js";

const DEFAULT_DB_TARGET = "db";
export const sqlProvider = { capability: Sql, defaultTarget: DEFAULT_DB_TARGET };

export const inlineCheck = z
  .object({
    code: z
      .string()
      .regex(/^[A-Z][A-Z0-9_]*$/, "an upper-case code such as E_NULL_EMAIL")
      .describe("Stable code of the check; what `acknowledge` names."),
    message: z.string().min(1).describe("What the operator must change when the check finds rows."),
    query: z.string().min(1).describe("A read-only SELECT returning the offending rows (no rows = pass)."),
  })
  .strict()
  .describe("A compatibility check run before any change.");

export const targetField = z
  .string()
  .min(1)
  .optional()
  .describe(`Environment entry of the database (provider postgres or sqlite). Default: \`${DEFAULT_DB_TARGET}\`.`);

export const sessionFields = {
  lockTimeout: durationSchema(
    "lock_timeout of the migration session (overrides the provider's): a DDL waiting longer for a lock gives way " +
      "and is retried.",
    DURATION_RANGES.sqlSession,
  ).optional(),
  statementTimeout: durationSchema(
    "statement_timeout of the migration session (overrides the provider's).",
    DURATION_RANGES.sqlSession,
  ).optional(),
  lockRetries: z
    .number()
    .int()
    .min(0)
    .max(50)
    .default(5)
    .describe("Retries of a script whose lock wait timed out (SQLSTATE 55P03), with exponential backoff and jitter."),
  leaseTtl: durationSchema(
    "How long the migration lease lives without a heartbeat; a crashed runner's lease expires after this.",
    DURATION_RANGES.leaseTtl,
  ).default("30s"),
  leaseWait: durationSchema(
    "How long to wait for another runner's lease before failing with ENV_LOCKED (0: fail fast).",
    DURATION_RANGES.pause,
  ).default(0),
};

export async function sqlClient(ctx: ActionContext, target: string | undefined): Promise<SqlClient> {
  return ctx.provider(target ?? DEFAULT_DB_TARGET, Sql);
}

export function resolveDir(baseDir: string, dir: string): string {
  return path.resolve(baseDir, dir);
}

export function toChecks(list: z.infer<typeof inlineCheck>[] | undefined): CompatCheck[] {
  return (list ?? []).map((c) => ({ code: c.code, message: c.message, sql: c.query.trim().replace(/;\s*$/, "") }));
}

function sessionOverrides(input: { lockTimeout?: number | string; statementTimeout?: number | string }) {
  return {
    ...(input.lockTimeout !== undefined ? { lockTimeoutMs: parseDuration(input.lockTimeout) } : {}),
    ...(input.statementTimeout !== undefined ? { statementTimeoutMs: parseDuration(input.statementTimeout) } : {}),
  };
}

/** The session fields every leased operation takes, from a step's inputs and context. */
export function leasedSession(
  input: {
    lockTimeout?: number | string;
    statementTimeout?: number | string;
    lockRetries: number;
    leaseTtl: number | string;
    leaseWait: number | string;
  },
  ctx: { runId: string; log: ActionContext["log"]; signal: AbortSignal },
) {
  return {
    runId: ctx.runId,
    settings: sessionOverrides(input),
    lockRetries: input.lockRetries,
    leaseTtlMs: parseDuration(input.leaseTtl),
    leaseWaitMs: parseDuration(input.leaseWait),
    log: ctx.log,
    signal: ctx.signal,
  };
}
