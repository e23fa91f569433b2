/**
 * Abort = the recorded undos of completed steps, most recent first (docs/design.md
 * invariant 5). Each undo is journaled (started, succeeded/failed/skipped), so
 * an abort interrupted halfway resumes where it stopped and never undoes a
 * step twice. Steps without an undo are reported as left in place. A step
 * that failed or was interrupted is undone too when its action can find what
 * the attempt changed (`undoIncomplete`: from the checkpoint it wrote before
 * changing anything, the target's state, or a migration's journal table);
 * any other is reported as not completed. Undos checkpoint as steps do, so a
 * resumed abort does not repeat the first half of an undo. A step whose
 * `undo:` says `alsoWhenFailed` has it run for a failed or interrupted attempt
 * too, in its place in the order. Undos behind a data barrier the run passed
 * never run unless a person accepted the loss (barriers.ts).
 */
import { parseCheckpoint, parseRecorded } from "../core/journaled.js";
import type { StepSpec } from "../playbook/schema.js";
import { mayRetry, resolveInputs, retryPolicy, runAttempt, waitOrCancel } from "./attempt.js";
import type { EngineDeps } from "./context.js";
import { barrierOf, behindBarrier, passedBarriers } from "./barriers.js";
import { incompleteUndoable, undoesWhenIncomplete, undoKindOf } from "./abort-order.js";
import type { ErrorInfo, UndoSkipReason } from "./events.js";
import type { MemberControl, MemberResult } from "./member.js";
import { undoOrder, type StepState } from "./reducer.js";
import { buildScope, resolveValue } from "./resolve.js";

export async function runAbort(
  deps: EngineDeps,
  ctl: MemberControl,
  specs: Map<string, StepSpec>,
  reason?: string,
): Promise<MemberResult> {
  const j = deps.journal;
  if (!j.state.abortRequested) await j.append({ type: "abort.requested", by: deps.actor, reason });
  const barriers = passedBarriers(j.state, (id) => barrierOf(specs.get(id), deps.findAction));
  // Where the run stopped comes first: the newest changes are those of a step that did not complete.
  const undoesIncomplete = (id: string) => undoesWhenIncomplete(specs.get(id), deps.findAction);
  for (const st of [...incompleteUndoable(j.state, undoesIncomplete), ...undoOrder(j.state)]) {
    if (st.undo.status === "succeeded" || st.undo.status === "skipped") continue;
    if (ctl.stopping()) return "stop";
    const behind = behindBarrier(st, barriers) && !j.state.dataLossAccepted;
    const r = await undoOne(deps, ctl, st, specs.get(st.stepId), behind);
    if (r !== "ok") return r;
  }
  // Steps that did not complete have no record of what they changed: say so rather than guess.
  for (const st of Object.values(j.state.steps)) {
    if ((st.status === "running" || st.status === "failed") && st.undo.status === "pending") {
      await j.append({ type: "undo.skipped", stepId: st.id, reason: "not-completed" });
    }
  }
  await j.append({ type: "run.finished", outcome: "aborted" });
  return "ok";
}

/** `behind`: the step is behind a passed data barrier and no one accepted the loss: it is left in place. */
async function undoOne(
  deps: EngineDeps,
  ctl: MemberControl,
  st: StepState,
  spec: StepSpec | undefined,
  behind = false,
): Promise<MemberResult> {
  const j = deps.journal;
  const skip = (reason: UndoSkipReason) =>
    j
      .append({
        type: "undo.skipped",
        stepId: st.id,
        reason,
        by: reason === "operator" ? (j.state.pendingDecision?.by ?? deps.actor) : undefined,
      })
      .then(() => "ok" as const);
  if (j.state.pendingDecision?.stepId === st.id && j.state.pendingDecision.decision === "skip") return skip("operator");
  if (!spec) return skip("no-undo");
  const def = deps.findAction(spec.action!);
  const override = spec.undo;
  if (override === false) return skip("no-undo");
  const undoDef = override ? deps.findAction(override.action) : def;
  if (!undoDef) return skip("no-undo");
  if (!override) {
    // Judged on the resolved inputs: a templated field (a list from a param,
    // `reversible` itself) fails the raw schema and would read as the default kind.
    const kind = undoKindOf(undoDef, resolvedOrRaw(deps, st, spec.with));
    if (kind === "none") return skip("nothing-to-undo");
    if (kind === "irreversible") return skip("point-of-no-return");
    if (!undoDef.undoRun) return skip("no-undo");
  }
  if (behind) return skip("barrier");
  const policy = retryPolicy(deps, spec);
  const timeout = override ? (override.timeout ?? spec.timeout) : (spec.timeout ?? deps.playbook.defaults?.timeout);
  let failures = 0;
  while (true) {
    const attempt = (j.state.steps[st.id]?.undo.attempts ?? 0) + 1;
    const scope = buildScope({
      state: j.state,
      params: deps.params,
      env: deps.env,
      secret: deps.secret,
      matrix: st.matrix,
      redactor: deps.redactor,
    });
    const inputs = resolveInputs(deps, undoDef, override ? override.with : spec.with, scope, st.id);
    if (!inputs.ok) return undoFailed(deps, st, attempt, inputs.error, 0);
    await j.append({ type: "undo.started", stepId: st.id, attempt });
    const outcome = await runAttempt(
      deps,
      ctl,
      {
        id: st.id,
        attempt,
        timeout,
        timeoutMessage: `undo exceeded the timeout of ${timeout}`,
        // Undo attempts checkpoint too, so a resumed abort never repeats half of an undo.
        checkpoint: async (data) => {
          await j.append({ type: "undo.checkpoint", stepId: st.id, attempt, data });
        },
      },
      async (ctx) => {
        if (override) {
          await undoDef.run(inputs.input, ctx);
          return;
        }
        const prior = j.state.steps[st.id]?.undo.checkpoint;
        // Parsed with the action's `records`/`checkpoints` schemas: a mismatch fails this undo, naming the step.
        await undoDef.undoRun!(inputs.input, {
          ...ctx,
          recorded: parseRecorded(undoDef, st.id, st.recorded),
          ...(st.status === "succeeded" ? {} : { lastCheckpoint: parseCheckpoint(undoDef, st.id, st.checkpoint) }),
          ...(prior === undefined ? {} : { priorUndoCheckpoint: prior }),
        });
      },
    );
    if (outcome.ok) {
      await j.append({ type: "undo.succeeded", stepId: st.id, attempt, durationMs: outcome.durationMs });
      return "ok";
    }
    const { error, durationMs } = outcome;
    if (outcome.cancelled) {
      await j.append({ type: "undo.failed", stepId: st.id, attempt, error, durationMs });
      return "stop";
    }
    failures++;
    if (!mayRetry(error, failures, policy)) return undoFailed(deps, st, attempt, error, durationMs);
    await j.append({ type: "undo.failed", stepId: st.id, attempt, error, durationMs });
    if (!(await waitOrCancel(deps, ctl, policy.delayMs(failures)))) return "stop";
  }
}

/** `error` is redacted already (attempt.ts). */
async function undoFailed(
  deps: EngineDeps,
  st: StepState,
  attempt: number,
  error: ErrorInfo,
  durationMs: number,
): Promise<MemberResult> {
  await deps.journal.append({ type: "undo.failed", stepId: st.id, attempt, error, durationMs });
  await deps.journal.append({
    type: "run.paused",
    reason: "failure",
    stepId: st.id,
    message:
      `undo of ${st.id} failed: ${error.message}. Fix the cause and run \`cutover abort\` again to retry it, or ` +
      `\`cutover skip ${st.id}\` to leave it in place`,
  });
  return "stop";
}

/**
 * The step's inputs resolved as the undo would see them; the raw
 * block if they cannot be resolved now (the undo then reports why).
 */
function resolvedOrRaw(deps: EngineDeps, st: StepState, withBlock: unknown): unknown {
  try {
    const scope = buildScope({
      state: deps.journal.state,
      params: deps.params,
      env: deps.env,
      secret: deps.secret,
      matrix: st.matrix,
      redactor: deps.redactor,
    });
    return resolveValue(withBlock ?? {}, scope);
  } catch {
    return withBlock;
  }
}
