/**
 * `migrate.backfill`: transform or copy rows in primary-key batches, short
 * transactions, checkpointed in the database with each batch, throttled,
 * pausable, with progress. See docs/migrations.md.
 */
import { z } from "zod";
import { runBackfill } from "../providers/sql/backfill.js";
import { DURATION_RANGES, parseDuration } from "../core/duration.js";
import { durationSchema } from "../core/duration-schema.js";
import { sessionFields, leasedSession, sqlClient, sqlProvider, targetField } from "./migrate-shared.js";
import { defineAction, type ActionResult } from "../core/action.js";

const migrateBackfillWith = z
  .object({
    target: targetField,
    name: z
      .string()
      .min(1)
      .optional()
      .describe(
        "Checkpoint name (default: the table name). A completed backfill with this name is not run again; use a " +
          "new name to run another.",
      ),
    table: z.string().min(1).describe("Table whose rows are walked in key order."),
    key: z
      .string()
      .min(1)
      .describe("A unique, ordered key column of `table` (usually the primary key): batches are key ranges."),
    set: z
      .string()
      .min(1)
      .optional()
      .describe("UPDATE mode: the SET list applied to each batch, e.g. `email_lower = lower(email)`."),
    where: z
      .string()
      .min(1)
      .optional()
      .describe("UPDATE mode: only rows still needing work, e.g. `email_lower is null` (makes a re-run a no-op)."),
    statement: z
      .string()
      .min(1)
      .optional()
      .describe(
        "Copy mode, instead of `set`: a statement run per batch with the batch's first and last keys as `$1` and " +
          "`$2` (inclusive), e.g. `insert into users_v2 (id, email) select id, email from users where id between " +
          "$1 and $2`.",
      ),
    batchSize: z.number().int().min(1).default(1000).describe("Rows in the first batch."),
    maxBatchSize: z
      .number()
      .int()
      .min(1)
      .default(50_000)
      .describe("Upper limit when batches grow towards `targetBatch`."),
    targetBatch: durationSchema(
      "Batches grow or shrink so each takes about this long: row locks held by a batch delay concurrent writers " +
        "at most this much. 0 keeps `batchSize` fixed.",
      DURATION_RANGES.pause,
    ).default("25ms"),
    sleep: durationSchema("Pause between batches (throttle).", DURATION_RANGES.pause).default(0),
    maxRowsPerSecond: z.number().positive().optional().describe("Throttle: never exceed this rate on average."),
    ...sessionFields,
  })
  .strict()
  .refine((w) => (w.set === undefined) !== (w.statement === undefined), {
    message: "set exactly one of `set` (update in place) or `statement` (copy)",
  })
  .refine((w) => w.where === undefined || w.set !== undefined, {
    message: "`where` applies to `set`; put the filter inside `statement`",
  });

export const migrateBackfill = defineAction({
  kind: "migrate.backfill",
  summary:
    "Backfill rows in primary-key batches with short transactions; checkpointed, resumable without duplicates, " +
    "throttled, with progress.",
  description:
    "Each batch and its checkpoint commit in one transaction under the migration lease, so a killed runner " +
    "resumes right after the last committed batch. Rows inserted after the backfill started are not chased (the " +
    "key range is fixed at the start). Progress shows rows done of total, rate and ETA.",
  with: migrateBackfillWith,
  idempotent: true,
  // Backfills write into expand-phase objects the previous version ignores: nothing for abort to restore.
  undo: "none",
  provider: sqlProvider,
  describe(input) {
    return (
      `backfill ${input.table} by ${input.key} in batches (start ${input.batchSize}, target ` +
      `${input.targetBatch}${input.maxRowsPerSecond ? `, ≤ ${input.maxRowsPerSecond} rows/s` : ""}): ` +
      `${input.set ? `set ${input.set}` : "copy statement"}`
    );
  },
  async run(input, ctx): Promise<ActionResult> {
    const client = await sqlClient(ctx, input.target);
    const name = input.name ?? input.table;
    const r = await runBackfill(client, {
      name,
      table: input.table,
      key: input.key,
      set: input.set,
      where: input.where,
      statement: input.statement,
      batchSize: input.batchSize,
      maxBatchSize: input.maxBatchSize,
      targetBatchMs: parseDuration(input.targetBatch),
      sleepMs: parseDuration(input.sleep),
      maxRowsPerSecond: input.maxRowsPerSecond,
      ...leasedSession(input, ctx),
      checkpoint: (data) => ctx.checkpoint(data),
    });
    return {
      outputs: { rowsDone: r.rowsDone, rowsTotal: r.rowsTotal, batches: r.batches, alreadyDone: r.alreadyDone },
    };
  },
});
