/**
 * `migrate.run`: apply the pending scripts of one phase (expand | migrate |
 * contract) from a script folder, journaled, leased and verified. With
 * `reversible: true` every script it applies needs an undo script, and abort
 * runs them (newest first) for exactly the scripts this run applied. See
 * docs/migrations.md.
 */
import { z } from "zod";
import { runMigrations, type RunAppliedScript } from "../providers/sql/apply.js";
import { preserveSpec } from "../providers/sql/preserve.js";
import { loadScriptFolder, PHASES } from "../providers/sql/scripts.js";
import { undoMigrations } from "../providers/sql/undo.js";
import { CutoverError, ErrorCode } from "../core/errors.js";
import {
  inlineCheck,
  resolveDir,
  sessionFields,
  leasedSession,
  sqlClient,
  sqlProvider,
  targetField,
  toChecks,
} from "./migrate-shared.js";
import { defineAction, type ActionResult } from "../core/action.js";

const migrateRunWith = z
  .object({
    target: targetField,
    dir: z
      .string()
      .min(1)
      .describe(
        "Script folder, relative to the playbook: `NNNN_name.<expand|migrate|contract>.sql` files and optional " +
          "`checks/*.sql`.",
      ),
    phase: z
      .enum(PHASES)
      .describe(
        "Which phase's pending scripts to apply: `expand` (before the swap; old app keeps working), `migrate` " +
          "(in a maintenance window), `contract` (a later gated run, after the previous version is retired).",
      ),
    release: z
      .string()
      .min(1)
      .optional()
      .describe(
        "App version / release this phase belongs to, recorded on every journal row, e.g. `${{ params.version }}`.",
      ),
    acknowledge: z
      .array(z.string().regex(/^[A-Z][A-Z0-9_]*$/))
      .default([])
      .describe(
        "Compatibility-check codes to bypass: their failures are reported as warnings and the acknowledgement is " +
          "recorded in the journal.",
      ),
    checks: z
      .array(inlineCheck)
      .optional()
      .describe("Compatibility checks in addition to the folder's `checks/*.sql`."),
    preserve: z
      .array(preserveSpec)
      .optional()
      .describe(
        "Tables, columns or queries hashed before the first script and after the last; a difference fails the " +
          "step (before any swap).",
      ),
    previousVersionRetired: z
      .boolean()
      .default(false)
      .describe(
        "For `phase: contract`: the operator states the previous app version is retired (no longer live and no " +
          "longer a rollback target). Required for a contract; recorded in the journal.",
      ),
    force: z
      .boolean()
      .default(false)
      .describe("For `phase: contract`: override the expand/contract safety rules. Recorded in the journal as FORCE."),
    reversible: z
      .boolean()
      .default(false)
      .describe(
        "Abort can take this step back: every script it applies needs an undo script " +
          "`NNNN_name.<phase>.undo.sql` next to it (checked before any change), and `cutover abort` runs the undo " +
          "scripts of exactly the scripts this run applied, newest first.",
      ),
    ...sessionFields,
  })
  .strict();

export const migrateRun = defineAction({
  kind: "migrate.run",
  summary:
    "Apply the pending migration scripts of one phase (expand | migrate | contract), journaled, leased and verified.",
  description:
    "Takes the migration lease, runs every compatibility check and validation before any change, snapshots " +
    "preserved data, applies the phase's pending scripts in number order (each with its journal row in one " +
    "transaction), then compares the snapshots. Re-running skips applied scripts; a failed script is retried " +
    "from where it stopped. With `reversible: true`, abort runs the undo scripts (`NNNN_name.<phase>.undo.sql`) " +
    "of exactly the scripts this run applied, newest first.",
  with: migrateRunWith,
  idempotent: true,
  // Schema changes are forward-only unless the step is reversible: abort leaves them
  // in place (an expand is backward compatible; a contract is a point of no return).
  undo: "irreversible",
  // reversible: the undo scripts take it back. Otherwise an expand is backward
  // compatible by design: abort leaves it in place and the old version keeps working.
  undoFor: (w) => (w.reversible ? "recorded" : w.phase === "expand" ? "none" : "irreversible"),
  // A reversible step that failed halfway is undone too: the journal table says which scripts this run applied.
  undoIncomplete: true,
  provider: sqlProvider,
  describe(input, ctx) {
    try {
      const folder = loadScriptFolder(resolveDir(ctx.baseDir, input.dir));
      const ofPhase = folder.scripts.filter((s) => s.phase === input.phase);
      const risky = ofPhase.filter((s) => s.risks.length > 0).map((s) => s.name);
      const noTx = ofPhase.filter((s) => !s.transactional).map((s) => s.name);
      const noUndo = ofPhase.filter((s) => !s.undo).map((s) => s.name);
      return (
        `apply pending '${input.phase}' scripts from ${input.dir} (${ofPhase.length} in the folder` +
        (noTx.length ? `; without transaction: ${noTx.join(", ")}` : "") +
        (risky.length ? `; risky: ${risky.join(", ")}` : "") +
        `)` +
        (folder.checks.length + (input.checks?.length ?? 0)
          ? `; ${folder.checks.length + (input.checks?.length ?? 0)} compatibility check(s) first`
          : "") +
        (input.acknowledge.length ? `; acknowledged: ${input.acknowledge.join(", ")}` : "") +
        (input.preserve?.length
          ? `; verify preserved data: ${input.preserve.map((p) => p.name ?? p.table).join(", ")}`
          : "") +
        (input.phase === "contract"
          ? input.force
            ? "; FORCED past the expand/contract rules"
            : "; needs the previous version retired"
          : "") +
        (input.reversible
          ? `; reversible: abort runs the undo scripts${noUndo.length ? ` (missing for: ${noUndo.join(", ")})` : ""}`
          : "")
      );
    } catch {
      return `apply pending '${input.phase}' scripts from ${input.dir}${input.reversible ? "; reversible" : ""}`;
    }
  },
  async run(input, ctx): Promise<ActionResult> {
    const client = await sqlClient(ctx, input.target);
    const folder = loadScriptFolder(resolveDir(ctx.baseDir, input.dir));
    const checks = toChecks(input.checks);
    const result = await runMigrations(client, {
      folder,
      phase: input.phase,
      release: input.release,
      acknowledge: input.acknowledge,
      checks,
      preserve: input.preserve,
      previousVersionRetired: input.previousVersionRetired,
      force: input.force,
      requireUndo: input.reversible,
      ...leasedSession(input, ctx),
    });
    const last = result.applied.at(-1);
    return {
      outputs: {
        applied: result.applied.length,
        scripts: result.applied.map((a) => a.name),
        lastSeq: last?.seq ?? null,
        acknowledged: result.acknowledged,
      },
      // Every script of the phase this run has applied (earlier attempts
      // included) with its checksum: exactly what an undo may take back.
      recorded: {
        phase: input.phase,
        reversible: input.reversible,
        applied: result.appliedByRun.map((a) => a.name),
        scripts: result.appliedByRun.map(toJson),
      },
      effect: appliedEffect(
        input.phase,
        result.applied.map((a) => a.name),
        result.appliedByRun.map((a) => a.name),
      ),
    };
  },
  async undoRun(input, ctx): Promise<void> {
    // A step that failed or was interrupted recorded nothing: its scripts are found in the journal table.
    const scripts = ctx.recorded === null ? { phase: input.phase } : recordedScripts(ctx.recorded);
    if (Array.isArray(scripts) && scripts.length === 0) {
      ctx.log.info("this run applied no script in this step: nothing to undo");
      return;
    }
    const client = await sqlClient(ctx, input.target);
    const folder = loadScriptFolder(resolveDir(ctx.baseDir, input.dir));
    const result = await undoMigrations(client, {
      folder,
      scripts,
      release: input.release,
      ...leasedSession(input, ctx),
    });
    ctx.log.info(
      `undid ${result.undone.length} ` +
        `script(s)${result.undone.length ? `: ${result.undone.map((u) => u.name).join(", ")}` : ""}` +
        `${result.skipped.length ? `; ${result.skipped.length} already undone` : ""}`,
    );
  },
});

/**
 * `applied 0001–0003 (3 'migrate' scripts)`: what this attempt applied, by the numbers the scripts start with (or
 * their names), and what the run applied in this phase when that is more (a retried step, a second step).
 */
function appliedEffect(phase: string, now: string[], byRun: string[]): string {
  const num = (n: string) => /^\d+/.exec(n)?.[0];
  const range = (names: string[]) => {
    const [first, last] = [names[0]!, names.at(-1)!];
    if (!num(first) || !num(last)) return names.join(", ");
    return first === last ? num(first)! : `${num(first)}–${num(last)}`;
  };
  const all = byRun.length > now.length ? `; this run applied ${range(byRun)} in all` : "";
  if (now.length === 0) return `no pending '${phase}' script: nothing changed${all}`;
  return `applied ${range(now)} (${now.length} '${phase}' script${now.length === 1 ? "" : "s"})${all}`;
}

function toJson(a: RunAppliedScript) {
  return {
    seq: a.seq,
    name: a.name,
    checksum: a.checksum,
    undo: a.undo ? { name: a.undo.name, checksum: a.undo.checksum } : null,
  };
}

const Recorded = z.object({
  scripts: z.array(
    z.object({
      seq: z.number().int(),
      name: z.string(),
      checksum: z.string(),
      undo: z.object({ name: z.string(), checksum: z.string() }).nullable().optional(),
    }),
  ),
});

/**
 * The scripts a successful run recorded; refuses a record without
 * checksums (a step that ran before it was made reversible).
 */
function recordedScripts(recorded: unknown): RunAppliedScript[] {
  const parsed = Recorded.safeParse(recorded);
  if (!parsed.success) {
    const applied = (recorded as { applied?: unknown } | null)?.applied;
    const names = Array.isArray(applied) ? applied.map(String) : [];
    if (names.length === 0) return [];
    throw new CutoverError(
      ErrorCode.StepFailed,
      `this step ran without \`reversible: true\`: its record names ${names.join(", ")} but not their checksums, ` +
        `so cutover cannot undo them safely`,
      {
        hint:
          "take them back by hand if they must go, then `cutover " +
          "skip <step>` to leave the step in place in this abort",
        retryable: false,
        details: { recorded },
      },
    );
  }
  return parsed.data.scripts.map((s) => ({
    seq: s.seq,
    name: s.name,
    checksum: s.checksum,
    ...(s.undo ? { undo: s.undo } : {}),
  }));
}
