/**
 * `migrate.validate`: data-preservation hashes around several steps —
 * `snapshot` before them, `compare` after, failing (before the swap) with the
 * table that changed. migrate.run's own `preserve:` covers a single step.
 */
import { z } from "zod";
import { parseDuration } from "../core/duration.js";
import { preserveSpec } from "../providers/sql/preserve.js";
import { validateData } from "../providers/sql/validate.js";
import { sessionFields, sqlClient, sqlProvider, targetField } from "./migrate-shared.js";
import { defineAction, type ActionResult } from "../core/action.js";

const migrateValidateWith = z
  .object({
    target: targetField,
    mode: z
      .enum(["snapshot", "compare"])
      .describe(
        "`snapshot`: hash the data now (kept on re-run). `compare`: hash again and fail if anything differs from " +
          "the snapshot.",
      ),
    label: z
      .string()
      .regex(/^[a-z0-9-]+$/)
      .default("default")
      .describe("Pairs a compare with its snapshot when a playbook has several."),
    preserve: z
      .array(preserveSpec)
      .min(1)
      .describe("Tables, columns or queries that must not change between the snapshot and the compare."),
    leaseTtl: sessionFields.leaseTtl,
    leaseWait: sessionFields.leaseWait,
  })
  .strict();

export const migrateValidate = defineAction({
  kind: "migrate.validate",
  summary: "Hash preserved data (snapshot) and verify it is unchanged later (compare), naming any table that changed.",
  with: migrateValidateWith,
  idempotent: true,
  undo: "none",
  provider: sqlProvider,
  describe(input) {
    return `${input.mode} data hashes (${input.label}) of ${input.preserve.map((p) => p.name ?? p.table).join(", ")}`;
  },
  async run(input, ctx): Promise<ActionResult> {
    const client = await sqlClient(ctx, input.target);
    const snaps = await validateData(client, {
      mode: input.mode,
      label: input.label,
      runId: ctx.runId,
      baselineRunId: ctx.supersedes,
      preserve: input.preserve,
      leaseTtlMs: parseDuration(input.leaseTtl),
      leaseWaitMs: parseDuration(input.leaseWait),
      log: ctx.log,
      signal: ctx.signal,
    });
    return { outputs: { tables: snaps.map((s) => s.name), rows: snaps.reduce((n, s) => n + s.rowCount, 0) } };
  },
});
