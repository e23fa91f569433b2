/**
 * One leaf member's lifecycle: skip what is done, decide what to do with a
 * member interrupted mid-attempt, run attempts with timeout and retries, and
 * apply onFailure. Every transition is journaled before the next side effect.
 * One attempt (context, timeout, cancel, classification) is attempt.ts's.
 */
import type { ActionDefinition } from "../core/action.js";
import { parseCheckpoint } from "../core/journaled.js";
import { ErrorCode, toErrorInfo } from "../core/errors.js";
import type { StepSpec } from "../playbook/schema.js";
import { mayRetry, resolveInputs, retryPolicy, runAttempt, waitOrCancel } from "./attempt.js";
import { clockOf, type EngineDeps } from "./context.js";
import type { ErrorInfo, PlannedStep } from "./events.js";
import type { StepState } from "./reducer.js";
import { buildScope, resolveCondition } from "./resolve.js";
import { gateExpiry, gatePause, isExpired } from "./gate.js";

/**
 * ok: done with it (succeeded, skipped, or failed with onFailure
 * continue); stop: pause or interrupt; abort: start undoing.
 */
export type MemberResult = "ok" | "stop" | "abort";

export interface MemberControl {
  /** Set by the first SIGINT: start nothing new. */
  stopping(): boolean;
  /** Aborted by the second SIGINT: cancels running actions. */
  cancelSignal: AbortSignal;
}

export async function runMember(
  deps: EngineDeps,
  ctl: MemberControl,
  member: PlannedStep,
  spec: StepSpec,
): Promise<MemberResult> {
  const j = deps.journal;
  const st = (): StepState | undefined => j.state.steps[member.id];
  const cur = st();
  if (cur?.status === "succeeded" || cur?.status === "skipped") return "ok";

  const decision = j.state.pendingDecision?.stepId === member.id ? j.state.pendingDecision : undefined;
  const pending = decision?.decision;
  if (decision?.decision === "skip") {
    await j.append({
      type: "step.skipped",
      stepId: member.id,
      reason: "operator",
      by: decision.by,
      note: decision.note,
    });
    return "ok";
  }
  const defaults = deps.playbook.defaults ?? {};
  const onFailure = spec.onFailure ?? deps.onFailure ?? defaults.onFailure ?? "pause";
  const interrupted =
    cur?.status === "running" || (cur?.status === "failed" && cur.error?.code === ErrorCode.Cancelled);
  if (cur?.status === "failed" && !interrupted && !pending && cur.retryInMs === undefined) {
    if (onFailure === "continue") return "ok";
    await j.append({
      type: "run.paused",
      reason: "failure",
      stepId: member.id,
      message: `step ${member.id} failed: ${cur.error?.message ?? "unknown error"}`,
    });
    return "stop";
  }

  const scope = () =>
    buildScope({
      state: j.state,
      params: deps.params,
      env: deps.env,
      secret: deps.secret,
      matrix: member.matrix,
      redactor: deps.redactor,
    });
  if (!cur || cur.status === "pending") {
    let run: boolean;
    try {
      run = resolveCondition(spec.when, scope());
    } catch (e) {
      return finalFailure(deps, member, toErrorInfo(e), onFailure);
    }
    if (!run) {
      await j.append({
        type: "step.skipped",
        stepId: member.id,
        reason: "condition",
        note: typeof spec.when === "string" ? spec.when : undefined,
      });
      return "ok";
    }
  }

  const def = deps.findAction(spec.action!);
  if (!def)
    return finalFailure(
      deps,
      member,
      { code: ErrorCode.PlaybookInvalid, message: `unknown action ${spec.action}` },
      onFailure,
    );

  if (interrupted && !def.idempotent && !pending) {
    const policy = spec.resume ?? defaults.resume ?? "pause";
    const what = `step ${member.id} (${def.kind}, not idempotent) was interrupted while running`;
    if (policy === "pause") {
      await j.append({
        type: "run.paused",
        reason: "resume-policy",
        stepId: member.id,
        message: `${what}; it may or may not have taken effect`,
      });
      return "stop";
    }
    if (policy === "skip") {
      await j.append({ type: "step.skipped", stepId: member.id, reason: "resume-policy", note: what });
      return "ok";
    }
    if (policy === "fail")
      return finalFailure(
        deps,
        member,
        { code: ErrorCode.StepFailed, message: `${what}; resume policy is fail` },
        onFailure,
      );
  }

  if (def.gate && !st()?.approvedBy) {
    const expiry = gateExpiry(j.state, member.id);
    if (isExpired(expiry, clockOf(deps).now())) {
      const when = new Date(expiry.expiresAt).toISOString();
      if (expiry.onExpiry === "approve") {
        const note = `approved automatically: the gate expired at ${when} (onExpiry: approve)`;
        await j.append({ type: "gate.approved", stepId: member.id, by: deps.actor, note });
      } else {
        const error = {
          code: ErrorCode.StepTimeout,
          message: `gate ${member.id} expired at ${when} without an approval`,
          retryable: false,
        };
        return finalFailure(deps, member, error, expiry.onExpiry === "abort" ? "abort" : onFailure);
      }
    } else {
      if (j.state.pause?.stepId !== member.id || j.state.status !== "paused") {
        // The gate's inputs resolved through its schema, like any step's: the pause journals what they say.
        const inputs = resolveInputs(deps, def, spec.with, scope(), member.id);
        if (!inputs.ok) return finalFailure(deps, member, inputs.error, onFailure);
        const pause = gatePause(member.id, inputs.input, clockOf(deps).now());
        await j.append({ ...pause, message: deps.redactor.redact(pause.message) });
      }
      return "stop";
    }
  }
  return attempts(deps, ctl, member, spec, def, onFailure, scope);
}

async function attempts(
  deps: EngineDeps,
  ctl: MemberControl,
  member: PlannedStep,
  spec: StepSpec,
  def: ActionDefinition<unknown>,
  onFailure: "pause" | "abort" | "continue",
  scope: () => ReturnType<typeof buildScope>,
): Promise<MemberResult> {
  const j = deps.journal;
  const timeout = spec.timeout ?? deps.playbook.defaults?.timeout;
  const policy = retryPolicy(deps, spec);
  const now = clockOf(deps).now;

  while (true) {
    if (ctl.stopping()) return "stop";
    const st = j.state.steps[member.id];
    // A retry scheduled before a crash waits only what is left of its delay.
    if (st?.status === "failed" && st.retryInMs !== undefined && st.finishedAt) {
      if (!(await waitOrCancel(deps, ctl, Date.parse(st.finishedAt) + st.retryInMs - now()))) return "stop";
      if (ctl.stopping()) return "stop";
    }
    const inputs = resolveInputs(deps, def, spec.with, scope(), member.id);
    if (!inputs.ok) return finalFailure(deps, member, inputs.error, onFailure);
    const attempt = (st?.attempts ?? 0) + 1;
    await j.append({ type: "step.started", stepId: member.id, attempt });
    const state = j.state.steps[member.id]!;
    const outcome = await runAttempt(
      deps,
      ctl,
      {
        id: member.id,
        attempt,
        timeout,
        timeoutMessage: `attempt ${attempt} exceeded the step timeout of ${timeout}`,
        checkpoint: async (data) => {
          await j.append({ type: "step.checkpoint", stepId: member.id, attempt, data });
        },
      },
      (ctx) =>
        def.run(inputs.input, {
          ...ctx,
          priorCheckpoint: parseCheckpoint(def, member.id, state.checkpoint),
          approval: state.approvedBy ? { by: state.approvedBy } : undefined,
        }),
    );
    if (outcome.ok) {
      const result = outcome.value;
      await j.append({
        type: "step.succeeded",
        stepId: member.id,
        attempt,
        outputs: deps.redactor.redactJson(result.outputs ?? {}),
        recorded: deps.redactor.redactJson(result.recorded ?? null),
        durationMs: outcome.durationMs,
        ...(result.effect ? { effect: deps.redactor.redact(result.effect) } : {}),
      });
      return "ok";
    }
    const { error, durationMs } = outcome;
    if (outcome.cancelled) {
      await j.append({ type: "step.failed", stepId: member.id, attempt, error, durationMs });
      return "stop";
    }
    const failures = (j.state.steps[member.id]?.failures ?? 0) + 1;
    if (mayRetry(error, failures, policy)) {
      await j.append({
        type: "step.failed",
        stepId: member.id,
        attempt,
        error,
        durationMs,
        retryInMs: policy.delayMs(failures),
      });
      continue;
    }
    await j.append({ type: "step.failed", stepId: member.id, attempt, error, durationMs });
    return afterFailure(deps, member, error, onFailure);
  }
}

async function finalFailure(
  deps: EngineDeps,
  member: PlannedStep,
  error: ErrorInfo,
  onFailure: "pause" | "abort" | "continue",
): Promise<MemberResult> {
  const attempt = deps.journal.state.steps[member.id]?.attempts ?? 0;
  await deps.journal.append({ type: "step.failed", stepId: member.id, attempt, error, durationMs: 0 });
  return afterFailure(deps, member, error, onFailure);
}

async function afterFailure(
  deps: EngineDeps,
  member: PlannedStep,
  error: ErrorInfo,
  onFailure: "pause" | "abort" | "continue",
): Promise<MemberResult> {
  if (onFailure === "continue") return "ok";
  if (onFailure === "abort") {
    await deps.journal.append({
      type: "abort.requested",
      by: deps.actor,
      reason: `step ${member.id} failed: ${error.message}`,
    });
    return "abort";
  }
  await deps.journal.append({
    type: "run.paused",
    reason: "failure",
    stepId: member.id,
    message: `step ${member.id} failed: ${error.message}${error.hint ? ` (${error.hint})` : ""}`,
  });
  return "stop";
}
