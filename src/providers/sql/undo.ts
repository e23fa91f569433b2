/**
 * Taking a reversible migration run back (`cutover abort` of a `migrate.run`
 * step with `reversible: true`): the undo scripts of exactly the scripts that
 * run applied, newest first, each committed with its `undone` journal row,
 * under the migration lease.
 *
 * Everything that would make the undo wrong is checked first and reported
 * together, before any change: a later script applied by someone else and
 * still applied (undoing under it would pull its foundations), an applied
 * script whose file changed since (the undo was written for the other text),
 * a missing undo file, a dirty script, a script re-applied by another run.
 *
 * Idempotent: a script whose latest row says it is undone is skipped, so an
 * abort interrupted mid-undo (crash, failed undo script) resumes with the
 * next one and never runs an undo twice.
 */
import { CutoverError, ErrorCode } from "../../core/errors.js";
import type { SqlClient } from "./driver.js";
import { runNonTransactional, runTransactional, type ExecContext } from "./execute-script.js";
import { APPLIED_STATUSES, appliedBy, appliedChecksum, latestBySeq, readJournal, type JournalRow } from "./journal.js";
import { describeHolder } from "./lease.js";
import { withMigrationLease, type LeasedSessionOptions } from "./leased-session.js";
import type { RunAppliedScript } from "./apply.js";
import { undoNameOf, type MigrationScript, type Phase, type ScriptFolder } from "./scripts.js";
import { computeStatus, dirtyMessage, DRIFT_HINT, driftMessage, type MigrationStatus } from "./status.js";

/** `runId`: the run whose scripts are taken back (the aborted run); also the run id on the `undone` rows. */
export interface UndoMigrationsOptions extends LeasedSessionOptions {
  folder: ScriptFolder;
  /**
   * What that run recorded: the scripts it applied, with their checksums; or,
   * for a step that did not complete (and recorded nothing), the phase whose
   * scripts this run applied, read from the journal table under the lease.
   */
  scripts: RunAppliedScript[] | { phase: Phase };
  release?: string;
}

export interface UndoMigrationsResult {
  /** Undone by this call, newest first. */
  undone: { seq: number; name: string; undo: string; durationMs: number }[];
  /** Already undone (an abort resumed after a crash or a failed undo script), or no longer applied. */
  skipped: { seq: number; name: string; why: string }[];
}

const UNDO_HINT =
  "nothing was changed; fix what is listed and run `cutover abort` again, or `cutover skip <step>` to leave this " +
  "migration in place (settle scripts by hand with `cutover migrate resolve`)";

export async function undoMigrations(client: SqlClient, o: UndoMigrationsOptions): Promise<UndoMigrationsResult> {
  return withMigrationLease(client, "undo", o, async ({ conn, lease, signal }) => {
    const rows = await readJournal(conn, client.sql);
    const scripts = Array.isArray(o.scripts)
      ? o.scripts
      : appliedByRunInJournal(o.folder, rows, o.scripts.phase, o.runId);
    const { todo, skipped, problems } = planUndo(o.folder, rows, scripts, o.runId);
    for (const s of skipped) o.log.info(`${s.name}: ${s.why}; skipped`);
    if (problems.length > 0) {
      throw new CutoverError(
        ErrorCode.StepFailed,
        `cannot undo the migrations of run ${o.runId}: ${problems.length} ` +
          `problem${problems.length === 1 ? "" : "s"} found before any change:\n` +
          problems.map((p) => "  - " + p).join("\n"),
        {
          hint: UNDO_HINT,
          retryable: false,
          details: { problems },
        },
      );
    }
    const x: ExecContext = {
      client,
      conn,
      token: lease.token,
      runId: o.runId,
      release: o.release ?? null,
      executedBy: `${describeHolder()} token ${lease.token}`,
      acknowledged: [],
      lockRetries: o.lockRetries ?? 5,
      lockRetryBaseMs: o.lockRetryBaseMs ?? 500,
      log: o.log,
      signal,
    };
    const undone: UndoMigrationsResult["undone"] = [];
    for (const [i, { script, recorded }] of todo.entries()) {
      if (signal.aborted)
        throw new CutoverError(
          ErrorCode.Cancelled,
          `cancelled before the undo of ${script.name}; \`cutover abort\` again continues from it`,
        );
      lease.assertHeld();
      await lease.beat();
      const body = script.undo!;
      o.log.progress?.(`undo ${script.name} (${i + 1}/${todo.length})`, i / todo.length);
      if (recorded.undo && recorded.undo.checksum !== body.checksum) {
        o.log.warn(
          `${body.name} changed since ${script.name} was applied (${recorded.undo.checksum} then, ` +
            `${body.checksum} now); running the file as it is now`,
        );
      }
      const note =
        `undo ${body.name} (${body.checksum}) of ${script.name} ` +
        `applied by run ${o.runId} with ${recorded.checksum}`;
      const unit = { kind: "undo" as const, body, note };
      let durationMs: number;
      try {
        durationMs = body.transactional
          ? await runTransactional(x, script, unit)
          : await runNonTransactional(x, script, false, unit);
      } catch (e) {
        if (signal.aborted)
          throw new CutoverError(
            ErrorCode.Cancelled,
            `cancelled during the undo of ${script.name}; \`cutover abort\` again runs it again`,
            { cause: e },
          );
        throw e;
      }
      undone.push({ seq: script.seq, name: script.name, undo: body.name, durationMs });
      o.log.info(`undid ${script.name} with ${body.name} in ${durationMs} ms`);
    }
    return { undone, skipped };
  });
}

interface UndoPlan {
  /** Still applied by this run: to undo, newest first. */
  todo: { script: MigrationScript; recorded: RunAppliedScript }[];
  skipped: UndoMigrationsResult["skipped"];
  /** Why the undo must not start (each with what to do). */
  problems: string[];
}

/**
 * Decide, from the journal alone, what to undo, what is already
 * undone, and what forbids starting. Pure: tested without a database.
 */
/**
 * For a step that did not complete: the scripts of `phase` that `runId`
 * applied and that are still applied (or left dirty), as the journal table
 * says, each with the checksum it was applied with (so drift is still caught).
 */
function appliedByRunInJournal(
  folder: ScriptFolder,
  rows: JournalRow[],
  phase: Phase,
  runId: string,
): RunAppliedScript[] {
  const out: RunAppliedScript[] = [];
  for (const s of computeStatus(folder, rows).scripts) {
    if (s.script.phase !== phase) continue;
    const mine =
      s.state === "running"
        ? s.latest?.runId === runId
        : (s.state === "applied" || s.state === "drift") && appliedBy(rows, s.script.seq) === runId;
    if (!mine) continue;
    const undo = s.script.undo ? { undo: { name: s.script.undo.name, checksum: s.script.undo.checksum } } : {};
    out.push({
      seq: s.script.seq,
      name: s.script.name,
      checksum: appliedChecksum(rows, s.script.seq) ?? s.script.checksum,
      ...undo,
    });
  }
  return out;
}

function planUndo(folder: ScriptFolder, rows: JournalRow[], recorded: RunAppliedScript[], runId: string): UndoPlan {
  const status = computeStatus(folder, rows);
  const latest = latestBySeq(rows);
  const bySeq = new Map(status.scripts.map((s) => [s.script.seq, s]));
  const todo: UndoPlan["todo"] = [];
  const skipped: UndoPlan["skipped"] = [];
  const problems: string[] = [];
  for (const r of [...recorded].sort((a, b) => b.seq - a.seq)) {
    const st = bySeq.get(r.seq);
    const last = latest.get(r.seq);
    if (!st || st.script.name !== r.name) {
      problems.push(
        `${r.name} (script ${r.seq}) is not in ${folder.dir} any ` +
          `more${st ? ` (number ${r.seq} is now ${st.script.name})` : ""}; restore the folder as it was when run ` +
          `${runId} applied it`,
      );
      continue;
    }
    if (st.state === "undone") {
      skipped.push({ seq: r.seq, name: r.name, why: `already undone by run ${last?.runId}` });
      continue;
    }
    if (st.state === "running") {
      problems.push(dirtyMessage(st));
      continue;
    }
    if (st.state === "pending" || st.state === "failed") {
      skipped.push({
        seq: r.seq,
        name: r.name,
        why: `not applied any more (latest journal row: ${last?.status ?? "none"})`,
      });
      continue;
    }
    if (st.state === "drift") {
      problems.push(`${driftMessage(st)}: its undo script was written for the text as applied; ${DRIFT_HINT}`);
      continue;
    }
    const owner = appliedBy(rows, r.seq);
    if (owner !== runId) {
      problems.push(
        `${st.script.file}: script ${r.seq} was applied again by run ${owner ?? "?"} after run ${runId} applied ` +
          `it; that run owns it now (abort that run, or settle it with \`cutover migrate resolve\`)`,
      );
      continue;
    }
    if (!st.script.undo) {
      problems.push(
        `${st.script.file}: its undo script ${r.undo?.name ?? undoNameOf(st.script.name)} is missing; restore it ` +
          `(git log -- the file) next to the script`,
      );
      continue;
    }
    todo.push({ script: st.script, recorded: r });
  }
  problems.push(...laterApplied(status, rows, todo, new Set(recorded.map((r) => r.seq)), runId));
  return { todo, skipped, problems };
}

/**
 * Scripts numbered above the lowest one to undo, applied and not this run's
 * own (those are undone first, or already reported): undoing beneath them
 * would be out of order.
 */
function laterApplied(
  status: MigrationStatus,
  rows: JournalRow[],
  todo: UndoPlan["todo"],
  own: Set<number>,
  runId: string,
): string[] {
  if (todo.length === 0) return [];
  const lowest = Math.min(...todo.map((t) => t.script.seq));
  const out: string[] = [];
  const describe = (seq: number, name: string) => {
    const by = appliedBy(rows, seq);
    const row = [...rows].reverse().find((r) => r.seq === seq && APPLIED_STATUSES.has(r.status));
    return (
      `${name} (script ${seq}) was applied ` +
      `${by === runId ? "by another step of this run" : `later by run ${by ?? row?.runId ?? "?"}`}` +
      `${row?.release ? ` (release ${row.release})` : ""} and is still applied`
    );
  };
  for (const s of status.scripts) {
    if (s.script.seq <= lowest || own.has(s.script.seq)) continue;
    if (s.state === "applied" || s.state === "drift" || s.state === "running") {
      out.push(
        `${describe(s.script.seq, s.script.name)}; undoing ${lowestName(todo)} beneath it would be out of order: ` +
          `take it back first (abort the run that applied it, if its step is reversible), then abort this run again`,
      );
    }
  }
  for (const f of status.future)
    out.push(
      `${describe(f.seq, f.name)} (a newer release's script); take it back first with that release's playbook, ` +
        `then abort this run again`,
    );
  return out;
}

function lowestName(todo: UndoPlan["todo"]): string {
  return todo.reduce((a, b) => (b.script.seq < a.script.seq ? b : a)).script.name;
}
