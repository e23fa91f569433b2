/**
 * A migration run: lease, preflight (drift, dirty scripts, ordering, phase
 * rules, compatibility checks — all reported together before any change),
 * data snapshots, the scripts in number order, the after-snapshots and their
 * comparison. Resuming (same run id) starts at the first unfinished script
 * and compares with the snapshots taken before the first script.
 *
 * With `requireUndo` (a reversible step) every script the phase would apply
 * must have an undo script, checked with the other problems before any
 * change; the result lists what this run has applied (`appliedByRun`, also
 * by an earlier attempt of the same run) for the undo to take back.
 */
import { CutoverError, ErrorCode } from "../../core/errors.js";
import { formatCheckResult, preflightError, runChecks } from "./checks.js";
import type { SqlClient } from "./driver.js";
import { runNonTransactional, runTransactional, fenced, type ExecContext } from "./execute-script.js";
import { appliedBy, readJournal, type JournalRow } from "./journal.js";
import { describeHolder } from "./lease.js";
import { withMigrationLease, type LeasedSessionOptions } from "./leased-session.js";
import { assertContractAllowed, selectForPhase } from "./phases.js";
import {
  compareSnapshots,
  loadSnapshots,
  mismatchError,
  saveSnapshot,
  snapshot,
  specName,
  type PreserveSpec,
  type Snapshot,
} from "./preserve.js";
import type { CompatCheck, Phase, ScriptFolder } from "./scripts.js";
import { concurrentIndexName } from "./sql-lint.js";
import { computeStatus, dirtyMessage, DRIFT_HINT, driftMessage, missingUndos, type MigrationStatus } from "./status.js";

export interface MigrationLog {
  info(m: string): void;
  warn(m: string): void;
  progress?(m: string, fraction?: number): void;
}

export interface RunMigrationsOptions extends LeasedSessionOptions {
  folder: ScriptFolder;
  phase: Phase;
  /** The app version / release this phase belongs to (recorded on every journal row). */
  release?: string;
  acknowledge?: string[];
  /** Checks declared in the step, in addition to the folder's `checks/`. */
  checks?: CompatCheck[];
  preserve?: PreserveSpec[];
  previousVersionRetired?: boolean;
  force?: boolean;
  /** A reversible step: refuse (before any change) to apply a script that has no undo script. */
  requireUndo?: boolean;
}

interface AppliedScript {
  seq: number;
  name: string;
  phase: Phase;
  durationMs: number;
}

/** A script this run applied and that is still applied: what an undo takes back. */
export interface RunAppliedScript {
  seq: number;
  name: string;
  /** The checksum it was applied with. */
  checksum: string;
  /** Its undo script's name and checksum at apply time, when it has one. */
  undo?: { name: string; checksum: string };
}

export interface RunMigrationsResult {
  /** Applied by this attempt. */
  applied: AppliedScript[];
  /**
   * Every script of the phase applied by this run id (this and earlier attempts) and still applied, in number order.
   */
  appliedByRun: RunAppliedScript[];
  /** Acknowledged codes recorded in the journal for this run. */
  acknowledged: string[];
  snapshots: { name: string; rowCount: number; hash: string }[];
  note?: string;
}

export async function runMigrations(client: SqlClient, o: RunMigrationsOptions): Promise<RunMigrationsResult> {
  return withMigrationLease(client, "migrate", o, async ({ conn, lease, signal }) => {
    const rows = await readJournal(conn, client.sql);
    const status = computeStatus(o.folder, rows);
    const problems: string[] = [];
    for (const d of status.drift) problems.push(driftMessage(d));
    for (const f of status.future) o.log.warn(`journal has ${f.name} (seq ${f.seq}) from a newer release; tolerated`);
    for (const r of status.running) {
      const cic =
        r.latest?.status === "running" &&
        !r.script.transactional &&
        concurrentIndexName(r.script.statements[0]?.code ?? "") !== undefined;
      if (!cic) problems.push(dirtyMessage(r));
    }
    let selection: ReturnType<typeof selectForPhase> = { toRun: [] };
    try {
      selection = selectForPhase(status, o.phase);
    } catch (e) {
      problems.push((e as Error).message);
    }
    if (o.requireUndo) problems.push(...missingUndos(selection.toRun));
    const acknowledged = [...(o.acknowledge ?? [])];
    if (o.phase === "contract" && selection.toRun.length > 0) {
      try {
        acknowledged.push(...assertContractAllowed(rows, o.runId, o));
      } catch (e) {
        problems.push((e as Error).message);
      }
    }
    const x: ExecContext = {
      client,
      conn,
      token: lease.token,
      runId: o.runId,
      release: o.release ?? null,
      executedBy: `${describeHolder()} token ${lease.token}`,
      acknowledged,
      lockRetries: o.lockRetries ?? 5,
      lockRetryBaseMs: o.lockRetryBaseMs ?? 500,
      log: o.log,
      signal,
    };
    const before = await loadSnapshots(conn, client, o.runId, "before");
    const resumingPreserve = (o.preserve ?? []).length > 0 && before.size > 0;
    if (selection.toRun.length === 0 && problems.length === 0 && !resumingPreserve) {
      if (selection.note) o.log.info(`nothing to apply in phase '${o.phase}': ${selection.note}`);
      return {
        applied: [],
        appliedByRun: byRun(o, rows, status, []),
        acknowledged: [],
        snapshots: [],
        note: selection.note ?? "nothing pending",
      };
    }
    if (selection.toRun.length > 0) {
      const checks = await runChecks(conn, client, [...o.folder.checks, ...(o.checks ?? [])], acknowledged);
      for (const f of checks.failures) problems.push(formatCheckResult(f));
      for (const b of checks.bypassed) o.log.warn(`acknowledged, proceeding: ${formatCheckResult(b)}`);
    }
    if (problems.length > 0)
      throw preflightError(
        problems,
        status.drift.length > 0
          ? DRIFT_HINT
          : "fix what is listed (or acknowledge a check's code), then resume: nothing was changed",
      );

    // Snapshots before the first script; a resumed run keeps its original ones.
    const preserve = o.preserve ?? [];
    for (const spec of preserve) {
      if (before.has(specName(spec))) continue;
      const s = await snapshot(conn, client, spec);
      await fenced(x, () => saveSnapshot(conn, client, o.runId, "before", s));
      before.set(s.name, s);
      o.log.info(`preserve ${s.name}: ${s.rowCount} rows, ${s.hash}`);
    }

    const applied: AppliedScript[] = [];
    for (const [i, s] of selection.toRun.entries()) {
      if (signal.aborted)
        throw new CutoverError(ErrorCode.Cancelled, `cancelled before ${s.script.name}; resume continues from it`);
      lease.assertHeld();
      await lease.beat();
      o.log.progress?.(`${s.script.name} (${i + 1}/${selection.toRun.length})`, i / selection.toRun.length);
      const retrying = s.state === "failed" || s.state === "running";
      let durationMs: number;
      try {
        durationMs = s.script.transactional
          ? await runTransactional(x, s.script)
          : await runNonTransactional(x, s.script, retrying);
      } catch (e) {
        // A cancelled statement is journaled as a failed attempt; the step itself reports the cancellation.
        if (signal.aborted)
          throw new CutoverError(ErrorCode.Cancelled, `cancelled during ${s.script.name}; resume runs it again`, {
            cause: e,
          });
        throw e;
      }
      applied.push({ seq: s.script.seq, name: s.script.name, phase: s.script.phase, durationMs });
      o.log.info(`applied ${s.script.name} in ${durationMs} ms`);
    }

    const after: Snapshot[] = [];
    for (const spec of preserve) {
      const b = before.get(specName(spec));
      const s = await snapshot(conn, client, spec, b?.columns.length ? b.columns : undefined);
      await fenced(x, () => saveSnapshot(conn, client, o.runId, "after", s));
      after.push(s);
    }
    const mismatches = compareSnapshots(before, after);
    if (mismatches.length > 0) throw mismatchError(mismatches);
    return {
      applied,
      appliedByRun: byRun(
        o,
        rows,
        status,
        applied.map((a) => a.seq),
      ),
      acknowledged,
      snapshots: after.map((s) => ({ name: s.name, rowCount: s.rowCount, hash: s.hash })),
      note: selection.note,
    };
  });
}

/**
 * Scripts of the phase that this run id has applied (before this attempt, or in it: `now`) and that are still applied.
 */
function byRun(
  o: RunMigrationsOptions,
  rows: JournalRow[],
  status: MigrationStatus,
  now: number[],
): RunAppliedScript[] {
  return status.scripts
    .filter(
      (s) =>
        s.script.phase === o.phase &&
        (now.includes(s.script.seq) || (s.state === "applied" && appliedBy(rows, s.script.seq) === o.runId)),
    )
    .map(({ script: s }) => ({
      seq: s.seq,
      name: s.name,
      checksum: s.checksum,
      ...(s.undo ? { undo: { name: s.undo.name, checksum: s.undo.checksum } } : {}),
    }));
}
