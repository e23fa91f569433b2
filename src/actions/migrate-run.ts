/**
 * `migrate.run`: apply the pending scripts of one phase (expand | migrate |
 * contract) from a script folder, journaled, leased and verified. See
 * docs/migrations.md.
 */
import { z } from "zod";
import { runMigrations } from "../providers/sql/apply.js";
import { parseDuration } from "../providers/sql/duration.js";
import { formatPlan, planMigrations } from "../providers/sql/plan.js";
import { preserveSpec } from "../providers/sql/preserve.js";
import { loadScriptFolder, PHASES } from "../providers/sql/scripts.js";
import { inlineCheck, resolveDir, sessionFields, sessionOverrides, sqlClient, sqlProvider, targetField, toChecks } from "./migrate-shared.js";
import { defineAction, type ActionResult } from "./types.js";

export const migrateRunWith = z
  .object({
    target: targetField,
    dir: z.string().min(1).describe("Script folder, relative to the playbook: `NNNN_name.<expand|migrate|contract>.sql` files and optional `checks/*.sql`."),
    phase: z.enum(PHASES).describe("Which phase's pending scripts to apply: `expand` (before the swap; old app keeps working), `migrate` (in a maintenance window), `contract` (a later gated run, after the previous version is retired)."),
    release: z.string().min(1).optional().describe("App version / release this phase belongs to, recorded on every journal row, e.g. `${{ params.version }}`."),
    acknowledge: z.array(z.string().regex(/^[A-Z][A-Z0-9_]*$/)).default([]).describe("Compatibility-check codes to bypass: their failures are reported as warnings and the acknowledgement is recorded in the journal."),
    checks: z.array(inlineCheck).optional().describe("Compatibility checks in addition to the folder's `checks/*.sql`."),
    preserve: z.array(preserveSpec).optional().describe("Tables, columns or queries hashed before the first script and after the last; a difference fails the step (before any swap)."),
    previousVersionRetired: z.boolean().default(false).describe("For `phase: contract`: the operator states the previous app version is retired (no longer live and no longer a rollback target). Required for a contract; recorded in the journal."),
    force: z.boolean().default(false).describe("For `phase: contract`: override the expand/contract safety rules. Recorded in the journal as FORCE."),
    ...sessionFields,
  })
  .strict();

export const migrateRun = defineAction({
  kind: "migrate.run",
  summary: "Apply the pending migration scripts of one phase (expand | migrate | contract), journaled, leased and verified.",
  description:
    "Takes the migration lease, runs every compatibility check and validation before any change, snapshots preserved data, applies the phase's pending scripts in number order (each with its journal row in one transaction), then compares the snapshots. Re-running skips applied scripts; a failed script is retried from where it stopped.",
  with: migrateRunWith,
  idempotent: true,
  // Schema changes are forward-only: abort leaves them in place (an expand is backward compatible; a contract is a point of no return).
  undo: "irreversible",
  // An expand is backward compatible by design: abort leaves it in place and the old version keeps working.
  undoFor: (w) => (w.phase === "expand" ? "none" : "irreversible"),
  provider: sqlProvider,
  describe(input, ctx) {
    try {
      const folder = loadScriptFolder(resolveDir(ctx.baseDir, input.dir));
      const ofPhase = folder.scripts.filter((s) => s.phase === input.phase);
      const risky = ofPhase.filter((s) => s.risks.length > 0).map((s) => s.name);
      const noTx = ofPhase.filter((s) => !s.transactional).map((s) => s.name);
      return (
        `apply pending '${input.phase}' scripts from ${input.dir} (${ofPhase.length} in the folder` +
        (noTx.length ? `; without transaction: ${noTx.join(", ")}` : "") +
        (risky.length ? `; risky: ${risky.join(", ")}` : "") +
        `)` +
        (folder.checks.length + (input.checks?.length ?? 0) ? `; ${folder.checks.length + (input.checks?.length ?? 0)} compatibility check(s) first` : "") +
        (input.acknowledge.length ? `; acknowledged: ${input.acknowledge.join(", ")}` : "") +
        (input.preserve?.length ? `; verify preserved data: ${input.preserve.map((p) => p.name ?? p.table).join(", ")}` : "") +
        (input.phase === "contract" ? (input.force ? "; FORCED past the expand/contract rules" : "; needs the previous version retired") : "")
      );
    } catch {
      return `apply pending '${input.phase}' scripts from ${input.dir}`;
    }
  },
  async run(input, ctx): Promise<ActionResult> {
    const client = await sqlClient(ctx, input.target);
    const folder = loadScriptFolder(resolveDir(ctx.baseDir, input.dir));
    const checks = toChecks(input.checks);
    if (ctx.dryRun) {
      const plan = await planMigrations(client, { folder, phase: input.phase, runId: ctx.runId, checks, acknowledge: input.acknowledge, preserve: input.preserve, previousVersionRetired: input.previousVersionRetired, force: input.force, runChecks: true });
      for (const line of formatPlan(plan).split("\n")) ctx.log.info(line);
      return { outputs: { pending: plan.toRun.length, scripts: plan.toRun.map((s) => s.name), problems: plan.problems.length } };
    }
    const result = await runMigrations(client, {
      folder,
      phase: input.phase,
      runId: ctx.runId,
      release: input.release,
      acknowledge: input.acknowledge,
      checks,
      preserve: input.preserve,
      previousVersionRetired: input.previousVersionRetired,
      force: input.force,
      settings: sessionOverrides(input),
      lockRetries: input.lockRetries,
      leaseTtlMs: parseDuration(input.leaseTtl),
      leaseWaitMs: parseDuration(input.leaseWait),
      log: ctx.log,
      signal: ctx.signal,
    });
    const last = result.applied.at(-1);
    return {
      outputs: {
        applied: result.applied.length,
        scripts: result.applied.map((a) => a.name),
        lastSeq: last?.seq ?? null,
        acknowledged: result.acknowledged,
      },
      recorded: { phase: input.phase, applied: result.applied.map((a) => a.name) },
    };
  },
});
