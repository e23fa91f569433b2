/**
 * What a person's `abort` (or `abort --rollback`) must not do silently
 * (docs/operations.md "Data barriers" and "Linked runs"): undo steps behind a
 * data barrier the run passed (what users wrote since would be lost), or roll
 * back a release a linked cleanup run depends on. Checked after the lease is
 * taken and before anything is journaled for the abort.
 */
import { CutoverError, ErrorCode } from "../core/errors.js";
import { barrierOf, behindBarrier, describeBarriers, passedBarriers } from "../engine/barriers.js";
import { buildPlan, leafSpecs } from "../engine/plan.js";
import type { LoadedPlaybook } from "../playbook/validate.js";
import { currentActor, registries } from "../runtime.js";
import { abortPreview } from "./inspect.js";
import { assertNoDependents } from "./linked-runs.js";
import type { Session } from "./session.js";

export interface AbortGuardOptions {
  stateDir: string;
  playbook?: string;
  env?: NodeJS.ProcessEnv;
  rollback?: boolean;
  /** `--accept-data-loss`: undo past the run's data barriers anyway (needs `reason`; journaled). */
  acceptDataLoss?: boolean;
  reason?: string;
}

/** Throws RUN_STATE (exit 2) saying what would be lost, or journals the accepted loss; nothing else. */
export async function guardAbort(session: Session, loaded: LoadedPlaybook, opts: AbortGuardOptions): Promise<void> {
  const state = session.journal.state;
  if (opts.rollback) await assertNoDependents(state, opts);
  const specs = leafSpecs(buildPlan(loaded.playbook.steps, state.params));
  const barriers = passedBarriers(state, (id) => barrierOf(specs.get(id), registries.findAction));
  if (barriers.length === 0 || state.dataLossAccepted) return;
  // The undos abort would run behind the barrier: those with something to undo.
  const behind = abortPreview(state, loaded)
    .filter((p) => p.undo === "recorded" || p.undo === "override")
    .filter((p) => {
      const st = state.steps[p.id];
      return st !== undefined && behindBarrier(st, barriers);
    })
    .map((p) => p.id);
  if (behind.length === 0) return;
  const command = `cutover abort ${state.runId}${opts.rollback ? " --rollback" : ""}`;
  if (!opts.acceptDataLoss) {
    throw new CutoverError(
      ErrorCode.RunState,
      `run ${state.runId} passed the data barrier ${describeBarriers(barriers)}. Undoing ${behind.join(", ")} now ` +
        `would lose what users wrote since then`,
      {
        hint:
          "leave the release in place and fix forward with a new run; or, knowing what is lost: " +
          `${command} --accept-data-loss --reason "<why>" (journaled)`,
        details: { barriers, undos: behind },
      },
    );
  }
  if (!opts.reason?.trim()) {
    throw new CutoverError(ErrorCode.Usage, '--accept-data-loss needs --reason "<why>" (journaled with who)', {
      hint: `${command} --accept-data-loss --reason "<why>"`,
    });
  }
  await session.journal.append({
    type: "abort.data-loss-accepted",
    by: currentActor(opts.env ?? process.env),
    reason: opts.reason,
    barriers: barriers.map(({ stepId, reason, passedAt }) => ({ stepId, reason, passedAt })),
  });
}
