/**
 * `migrate.check`: the preflight alone — compatibility checks, checksum
 * drift, dirty scripts and phase ordering — read-only, no lease taken.
 * Useful as an early step (before maintenance mode goes on) so a release
 * stops while nothing has changed yet.
 */
import { z } from "zod";
import { preflightError } from "../providers/sql/checks.js";
import { planMigrations } from "../providers/sql/plan.js";
import { loadScriptFolder, PHASES } from "../providers/sql/scripts.js";
import { inlineCheck, resolveDir, sqlClient, sqlProvider, targetField, toChecks } from "./migrate-shared.js";
import { defineAction, type ActionResult } from "../core/action.js";

const migrateCheckWith = z
  .object({
    target: targetField,
    dir: z
      .string()
      .min(1)
      .describe(
        "Script folder (relative to the playbook): its `checks/*.sql` run and its scripts are validated against " +
          "the journal.",
      ),
    phase: z
      .enum(PHASES)
      .optional()
      .describe("Also check that this phase could run now (ordering, expand/contract rules)."),
    checks: z.array(inlineCheck).optional().describe("Checks in addition to the folder's `checks/*.sql`."),
    acknowledge: z
      .array(z.string().regex(/^[A-Z][A-Z0-9_]*$/))
      .default([])
      .describe("Check codes whose failures are reported as warnings instead of failing the step."),
    previousVersionRetired: z.boolean().default(false).describe("As in migrate.run, for checking a contract phase."),
    reversible: z
      .boolean()
      .default(false)
      .describe("As in migrate.run: fail unless every script `phase` would apply has its undo script (needs `phase`)."),
  })
  .strict()
  .refine((w) => !w.reversible || w.phase !== undefined, {
    message: "`reversible` checks the scripts of one phase: set `phase` too",
    path: ["reversible"],
  });

export const migrateCheck = defineAction({
  kind: "migrate.check",
  summary:
    "Run compatibility checks and validate scripts against the journal (drift, dirty, order) — read-only, all " +
    "problems reported together.",
  with: migrateCheckWith,
  idempotent: true,
  undo: "none",
  provider: sqlProvider,
  describe(input) {
    return (
      `check ${input.dir}${input.phase ? ` for phase ${input.phase}` : ""}` +
      `${input.reversible ? ", every script with its undo" : ""} (read-only)`
    );
  },
  async run(input, ctx): Promise<ActionResult> {
    const client = await sqlClient(ctx, input.target);
    const folder = loadScriptFolder(resolveDir(ctx.baseDir, input.dir));
    const plan = await planMigrations(client, {
      folder,
      phase: input.phase,
      runId: ctx.runId,
      checks: toChecks(input.checks),
      acknowledge: input.acknowledge,
      previousVersionRetired: input.previousVersionRetired,
      requireUndo: input.reversible,
      runChecks: true,
    });
    for (const w of plan.warnings) ctx.log.warn(w);
    if (plan.problems.length > 0)
      throw preflightError(plan.problems, "fix what is listed (or acknowledge a check's code); nothing was changed");
    const failedCodes = plan.checks
      .filter((c) => c.result && (c.result.rowCount > 0 || c.result.error))
      .map((c) => c.code);
    ctx.log.info(
      `${plan.checks.length} check(s) ` +
        `passed${failedCodes.length ? ` (acknowledged: ${failedCodes.join(", ")})` : ""}; ${plan.toRun.length} ` +
        `script(s) pending`,
    );
    return { outputs: { pending: plan.toRun.length, acknowledged: failedCodes } };
  },
});
