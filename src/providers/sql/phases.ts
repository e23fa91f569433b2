/**
 * Expand/contract tied to the release (Tick/Tock, pgroll's start/complete).
 *
 * Scripts run strictly in number order, whatever the phase: a run of phase P
 * applies the pending scripts from the first pending one for as long as they
 * belong to P. Hence:
 * - a new expand is refused while an earlier contract is pending (the
 *   previous release must finish contracting first);
 * - a contract never jumps ahead of an unapplied expand or migrate script.
 *
 * A contract removes what the previous app version still uses, so it is
 * refused unless the operator states that version is retired
 * (`previousVersionRetired: true`, typically after a gate.approval in a later
 * run) and the last expand was applied by an earlier run; `force: true`
 * overrides both. Every such acknowledgement is recorded in the journal.
 */
import { CutoverError, ErrorCode } from "../../core/errors.js";
import { APPLIED_STATUSES, latestBySeq, type JournalRow } from "./journal.js";
import type { Phase } from "./scripts.js";
import type { MigrationStatus, ScriptStatus } from "./status.js";

const ACK_PREVIOUS_RETIRED = "PREVIOUS_VERSION_RETIRED";
const ACK_FORCE = "FORCE";

export interface PhaseSelection {
  toRun: ScriptStatus[];
  /** Why nothing (more) runs in this phase, for the log; undefined when everything pending of P runs. */
  note?: string;
}

export function selectForPhase(status: MigrationStatus, phase: Phase): PhaseSelection {
  const toRun: ScriptStatus[] = [];
  for (const s of status.pending) {
    if (s.script.phase !== phase) break;
    toRun.push(s);
  }
  const rest = status.pending.slice(toRun.length);
  const blocker = rest[0];
  if (!blocker) return { toRun };
  const laterOfPhase = rest.find((s) => s.script.phase === phase);
  if (toRun.length === 0 && laterOfPhase) {
    const b = blocker.script;
    const msg =
      phase === "expand" && b.phase === "contract"
        ? `refusing a new expand (${laterOfPhase.script.name}) while contract script ${b.name} of the previous ` +
          `release is pending`
        : `script ${b.name} (phase ${b.phase}) is pending before ${laterOfPhase.script.name}; scripts run in ` +
          `number order`;
    throw new CutoverError(ErrorCode.StepFailed, msg, {
      hint: `run phase '${b.phase}' first (its playbook step), then this one`,
      details: { blocker: b.name, phase: b.phase },
    });
  }
  return { toRun, note: `next pending script ${blocker.script.name} belongs to phase '${blocker.script.phase}'` };
}

/** The last applied expand row (the release the contract follows); an expand since undone no longer counts. */
function lastExpand(rows: JournalRow[]): JournalRow | undefined {
  const latest = latestBySeq(rows);
  let out: JournalRow | undefined;
  for (const r of rows) {
    const now = latest.get(r.seq);
    if (r.phase === "expand" && APPLIED_STATUSES.has(r.status) && now && APPLIED_STATUSES.has(now.status)) out = r;
  }
  return out;
}

/** Throws unless a contract may run now; returns the acknowledgement codes to record. */
export function assertContractAllowed(
  rows: JournalRow[],
  runId: string,
  opts: { previousVersionRetired?: boolean; force?: boolean },
): string[] {
  if (opts.force) return [ACK_FORCE];
  const expand = lastExpand(rows);
  const of = expand
    ? ` (last expand: ${expand.name}${expand.release ? `, release ${expand.release}` : ""}, run ${expand.runId})`
    : "";
  if (expand && expand.runId === runId) {
    throw new CutoverError(
      ErrorCode.StepFailed,
      `refusing to contract in the same run as its expand${of}: the previous app version may still be live`,
      {
        hint: "run the contract phase in a later, gated run once the previous version is retired, or set `force: true`",
      },
    );
  }
  if (!opts.previousVersionRetired) {
    throw new CutoverError(
      ErrorCode.StepFailed,
      `refusing to contract while the previous app version may still be live${of}`,
      {
        hint:
          "once the previous version is retired (after its gate), set `previousVersionRetired: true` on this step; " +
          "or `force: true`",
      },
    );
  }
  return [ACK_PREVIOUS_RETIRED];
}
