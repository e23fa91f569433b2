/**
 * `db.backup`: a consistent copy of a database's data, taken while it
 * serves, to a private file; with `restoreOnAbort: true`, abort puts it back
 * (CQRS Journey: "on failure, restore the database to its state before the
 * migration"). The restore never rolls cutover's migration journal back: it
 * realigns it (src/providers/sql/snapshots.ts), so the scripts applied since
 * the backup count as pending again and the journal keeps its history.
 *
 * A restore loses every write since the backup. Take the backup inside the
 * maintenance or read-only window, and mark the step that ends the window
 * with `barrier:`: abort then refuses to restore past it without
 * `--accept-data-loss` (docs/playbook.md, "Data barriers").
 */
import path from "node:path";
import { z } from "zod";
import { defineAction, type ActionResult } from "../core/action.js";
import { DatabaseSnapshots, type BackupInfo } from "../providers/sql/snapshots.js";
import { sessionFields, targetField } from "./migrate-shared.js";
import { parseDuration } from "../core/duration.js";

const DEFAULT_TARGET = "db";

const DbBackupWith = z
  .object({
    target: targetField,
    into: z
      .string()
      .min(1)
      .optional()
      .describe(
        "Folder for the backup file, relative to the playbook. Default: `<state dir>/backups/<run id>`. Keep it " +
          "somewhere that outlives the run's machine when the run may be aborted elsewhere (a CI job).",
      ),
    restoreOnAbort: z
      .boolean()
      .default(false)
      .describe(
        "Whether aborting the run restores this backup (after undoing the later steps), losing every write since " +
          "it was taken. Put a `barrier:` on the step that lets users write again.",
      ),
    leaseTtl: sessionFields.leaseTtl,
    leaseWait: sessionFields.leaseWait,
  })
  .strict();

const Backup = z.object({
  file: z.string(),
  dialect: z.enum(["postgres", "sqlite"]),
  target: z.string(),
  targetHash: z.string(),
  bytes: z.number(),
  sha256: z.string(),
  journalMark: z.number(),
  backfill: z.array(z.record(z.string(), z.json())),
  takenAt: z.string(),
});

export const dbBackup = defineAction({
  kind: "db.backup",
  summary: "Copy a database's data (PostgreSQL: pg_dump; SQLite: online backup) while it serves; undo can restore it.",
  description:
    "Takes a consistent copy without stopping the database, under the migration lease (no migration runs " +
    "during the copy), to a file readable only by its owner. Records the file, its size and sha256, and the " +
    "migration journal's position. With `restoreOnAbort: true`, abort restores it in one transaction: the " +
    "users' tables, views, indexes, sequences, functions and types are replaced by the backup's (objects " +
    "created since are dropped), cutover's own tables stay, and the migration journal gets a row per script " +
    "applied since the backup marking it pending again. A restore refuses a file whose sha256 changed. " +
    "PostgreSQL needs pg_dump, pg_restore and psql at a version at least the server's.",
  with: DbBackupWith,
  idempotent: true,
  undo: "recorded",
  undoFor: (input) => (input.restoreOnAbort ? "recorded" : "none"),
  provider: { capability: DatabaseSnapshots, defaultTarget: DEFAULT_TARGET },
  records: Backup,
  describe: (input) =>
    `back up ${input.target ?? DEFAULT_TARGET}${input.restoreOnAbort ? " (abort restores it, losing later writes)" : ""}`,

  async run(input, ctx): Promise<ActionResult> {
    const db = await ctx.provider(input.target ?? DEFAULT_TARGET, DatabaseSnapshots);
    const dir = input.into
      ? path.resolve(ctx.baseDir, input.into)
      : path.join(ctx.stateDir, "backups", ctx.runId.replace(/[^A-Za-z0-9._-]/g, "_"));
    const stem = ctx.stepId.replace(/[^A-Za-z0-9._-]/g, "_");
    const file = path.join(dir, `${stem}-${ctx.attempt}.backup`);
    const info: BackupInfo = await db.backup(file, {
      runId: ctx.runId,
      signal: ctx.signal,
      log: ctx.log,
      leaseTtlMs: parseDuration(input.leaseTtl),
      leaseWaitMs: parseDuration(input.leaseWait),
    });
    ctx.log.info(`backed up ${info.target} to ${info.file} (${info.bytes} bytes, sha256 ${info.sha256.slice(0, 12)}…)`);
    return {
      outputs: { file: info.file, bytes: info.bytes, sha256: info.sha256 },
      recorded: info as unknown as z.infer<typeof Backup>,
    };
  },

  async undoRun(input, ctx) {
    const info = ctx.recorded;
    if (!input.restoreOnAbort || info === null) return;
    const db = await ctx.provider(input.target ?? DEFAULT_TARGET, DatabaseSnapshots);
    const report = await db.restore(info, {
      runId: ctx.runId,
      signal: ctx.signal,
      log: ctx.log,
      leaseTtlMs: parseDuration(input.leaseTtl),
      leaseWaitMs: parseDuration(input.leaseWait),
      note: `restored from backup ${path.basename(info.file)} taken ${info.takenAt} (step ${ctx.stepId})`,
    });
    const pending = report.unapplied.length ? `; pending again: ${report.unapplied.join(", ")}` : "";
    ctx.log.info(`restored ${info.target} from ${info.file}${pending}`);
  },
});
