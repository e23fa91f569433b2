/**
 * `plan` and dry runs: what a migration step would do, read from the
 * database in a read-only transaction — no lease, no advisory lock, no
 * journal table created, nothing written. Compatibility checks may be run
 * (they are read-only queries) so the plan shows failures up front.
 */
import { formatCheckResult, runChecks, type CheckResult } from "./checks.js";
import type { SqlClient } from "./driver.js";
import { journalExists, readJournal, type JournalRow } from "./journal.js";
import { describeLease, readLease, type LeaseState } from "./lease.js";
import { assertContractAllowed, selectForPhase } from "./phases.js";
import { specName, type PreserveSpec } from "./preserve.js";
import type { CompatCheck, Phase, ScriptFolder } from "./scripts.js";
import type { Risk } from "./sql-lint.js";
import { computeStatus, driftMessage, missingUndos, type ScriptState } from "./status.js";

interface PlanScript {
  seq: number;
  name: string;
  phase: Phase;
  transactional: boolean;
  state: ScriptState;
  risks: Risk[];
  lastError?: string;
  /** Its undo script, when the folder has one. */
  undo?: { name: string; transactional: boolean; risks: Risk[] };
  /** For `undone`: the run whose abort took it back. */
  undoneBy?: string;
}

export interface MigrationPlan {
  target: string;
  guarantee: string;
  phase?: Phase;
  journalExists: boolean;
  lease?: LeaseState;
  scripts: PlanScript[];
  /** Scripts the step would apply now, in order. */
  toRun: PlanScript[];
  /** Everything that would stop the step before any change. */
  problems: string[];
  warnings: string[];
  checks: { code: string; message: string; file?: string; result?: CheckResult }[];
  preserve: string[];
  settings: { lockTimeoutMs: number; statementTimeoutMs: number };
}

export interface PlanOptions {
  folder: ScriptFolder;
  phase?: Phase;
  runId?: string;
  checks?: CompatCheck[];
  acknowledge?: string[];
  preserve?: PreserveSpec[];
  previousVersionRetired?: boolean;
  force?: boolean;
  /** A reversible step: a script to apply without an undo script is a problem. */
  requireUndo?: boolean;
  /** Run the (read-only) compatibility checks too. */
  runChecks?: boolean;
}

export async function planMigrations(client: SqlClient, o: PlanOptions): Promise<MigrationPlan> {
  const conn = await client.connect("plan");
  try {
    const exists = await journalExists(conn, client.sql);
    let rows: JournalRow[] = [];
    let lease: LeaseState | undefined;
    await conn.transaction(
      async () => {
        rows = exists ? await readJournal(conn, client.sql) : [];
        lease = exists ? await readLease(conn, client) : undefined;
      },
      { readOnly: true },
    );
    const status = computeStatus(o.folder, rows);
    const toPlan = (s: (typeof status.scripts)[number]): PlanScript => ({
      seq: s.script.seq,
      name: s.script.name,
      phase: s.script.phase,
      transactional: s.script.transactional,
      state: s.state,
      risks: s.script.risks,
      ...(s.state === "failed" && s.latest?.error ? { lastError: s.latest.error } : {}),
      ...(s.script.undo
        ? { undo: { name: s.script.undo.name, transactional: s.script.undo.transactional, risks: s.script.undo.risks } }
        : {}),
      ...(s.state === "undone" && s.latest ? { undoneBy: s.latest.runId } : {}),
    });
    const problems = status.drift.map(driftMessage);
    for (const r of status.running)
      problems.push(
        `${r.script.name} is marked running by ${r.latest?.executedBy} (run ${r.latest?.runId}): in progress, or ` +
          `dirty if that runner is gone`,
      );
    const warnings = status.future.map((f) => `journal has ${f.name} (seq ${f.seq}) from a newer release; tolerated`);
    let toRun: PlanScript[] = status.pending.map(toPlan);
    if (o.phase) {
      try {
        const sel = selectForPhase(status, o.phase);
        toRun = sel.toRun.map(toPlan);
        if (sel.note) warnings.push(sel.note);
        if (o.requireUndo) problems.push(...missingUndos(sel.toRun));
        if (o.phase === "contract" && sel.toRun.length > 0) assertContractAllowed(rows, o.runId ?? "", o);
      } catch (e) {
        problems.push((e as Error).message);
      }
    }
    const allChecks = [...o.folder.checks, ...(o.checks ?? [])];
    const checks: MigrationPlan["checks"] = allChecks.map((c) => ({
      code: c.code,
      message: c.message,
      ...(c.file ? { file: c.file } : {}),
    }));
    if (o.runChecks && allChecks.length > 0) {
      const report = await runChecks(conn, client, allChecks, o.acknowledge ?? []);
      report.results.forEach((r, i) => ((checks[i] as (typeof checks)[number]).result = r));
      for (const f of report.failures) problems.push(formatCheckResult(f));
      for (const b of report.bypassed) warnings.push(`acknowledged: ${formatCheckResult(b)}`);
    }
    if (lease?.live) warnings.push(`migration lease is ${describeLease(lease)}`);
    return {
      target: client.target,
      guarantee: "read-only transaction; no lease or advisory lock taken; nothing written",
      ...(o.phase ? { phase: o.phase } : {}),
      journalExists: exists,
      ...(lease ? { lease } : {}),
      scripts: status.scripts.map(toPlan),
      toRun,
      problems,
      warnings,
      checks,
      preserve: (o.preserve ?? []).map(specName),
      settings: {
        lockTimeoutMs: client.settings.lockTimeoutMs,
        statementTimeoutMs: client.settings.statementTimeoutMs,
      },
    };
  } finally {
    await conn.close();
  }
}

export function formatPlan(p: MigrationPlan): string {
  const out: string[] = [];
  out.push(`target: ${p.target}${p.phase ? `, phase ${p.phase}` : ""}`);
  out.push(`guarantee: ${p.guarantee}`);
  out.push(
    `session guards: lock_timeout ${p.settings.lockTimeoutMs} ms, statement_timeout ` +
      `${p.settings.statementTimeoutMs} ms`,
  );
  if (!p.journalExists) out.push("journal: not created yet (first run creates it)");
  out.push(
    p.toRun.length === 0
      ? "would apply: nothing"
      : `would apply ${p.toRun.length} script${p.toRun.length === 1 ? "" : "s"}:`,
  );
  for (const s of p.toRun) {
    const again =
      s.state === "failed"
        ? ", retry after failure"
        : s.state === "undone"
          ? `, again: undone by run ${s.undoneBy}`
          : "";
    out.push(
      `  ${String(s.seq).padStart(4, "0")} ${s.name}  [${s.phase}, ` +
        `${s.transactional ? "transactional" : "NO TRANSACTION"}${again}]`,
    );
    if (s.lastError) out.push(`       last error: ${s.lastError.split("\n")[0]}`);
    for (const r of s.risks) out.push(`       ! ${r.kind} (statement ${r.statement}): ${r.message}`);
    if (s.undo) {
      out.push(`       undo: ${s.undo.name}${s.undo.transactional ? "" : " [NO TRANSACTION]"}`);
      for (const r of s.undo.risks) out.push(`       ! undo ${r.kind} (statement ${r.statement}): ${r.message}`);
    }
  }
  if (p.checks.length > 0) {
    out.push("compatibility checks:");
    for (const c of p.checks)
      out.push(
        `  ${c.code}: ` +
          `${c.message}` +
          `${c.result ? (c.result.error ? " — ERROR" : c.result.rowCount > 0 ? ` — ${c.result.rowCount} offending` : " — ok") : ""}`,
      );
  }
  if (p.preserve.length > 0) out.push(`data preserved (hashed before and after): ${p.preserve.join(", ")}`);
  for (const w of p.warnings) out.push(`warning: ${w}`);
  for (const e of p.problems) out.push(`problem: ${e}`);
  return out.join("\n");
}
