/**
 * One leaf member's lifecycle: skip what is done, decide what to do with a
 * member interrupted mid-attempt, run attempts with timeout and retries, and
 * apply onFailure. Every transition is journaled before the next side effect.
 */
import type { ActionDefinition } from "../core/action.js";
import { ErrorCode, toErrorInfo } from "../core/errors.js";
import { parseDuration } from "../playbook/duration.js";
import type { StepSpec } from "../playbook/schema.js";
import { backoffMs, makeLogger, sleep, type EngineDeps } from "./context.js";
import type { ErrorInfo, PlannedStep } from "./events.js";
import type { Json } from "../core/json.js";
import type { StepState } from "./reducer.js";
import { buildScope, resolveCondition, resolveValue } from "./resolve.js";
import { gateExpiry, isExpired } from "./gate.js";

/** ok: done with it (succeeded, skipped, or failed with onFailure continue); stop: pause or interrupt; abort: start undoing. */
export type MemberResult = "ok" | "stop" | "abort";

export interface MemberControl {
  /** Set by the first SIGINT: start nothing new. */
  stopping(): boolean;
  /** Aborted by the second SIGINT: cancels running actions. */
  cancelSignal: AbortSignal;
}

export async function runMember(deps: EngineDeps, ctl: MemberControl, member: PlannedStep, spec: StepSpec): Promise<MemberResult> {
  const j = deps.journal;
  const st = (): StepState | undefined => j.state.steps[member.id];
  const cur = st();
  if (cur?.status === "succeeded" || cur?.status === "skipped") return "ok";

  const decision = j.state.pendingDecision?.stepId === member.id ? j.state.pendingDecision : undefined;
  const pending = decision?.decision;
  if (decision?.decision === "skip") {
    await j.append({ type: "step.skipped", stepId: member.id, reason: "operator", by: decision.by, note: decision.note });
    return "ok";
  }
  const defaults = deps.playbook.defaults ?? {};
  const onFailure = spec.onFailure ?? deps.onFailure ?? defaults.onFailure ?? "pause";
  const interrupted = cur?.status === "running" || (cur?.status === "failed" && cur.error?.code === ErrorCode.Cancelled);
  if (cur?.status === "failed" && !interrupted && !pending && cur.retryInMs === undefined) {
    if (onFailure === "continue") return "ok";
    await j.append({ type: "run.paused", reason: "failure", stepId: member.id, message: `step ${member.id} failed: ${cur.error?.message ?? "unknown error"}` });
    return "stop";
  }

  const scope = () => buildScope({ state: j.state, params: deps.params, env: deps.env, secret: deps.secret, matrix: member.matrix, redactor: deps.redactor });
  if (!cur || cur.status === "pending") {
    let run: boolean;
    try {
      run = resolveCondition(spec.when, scope());
    } catch (e) {
      return finalFailure(deps, member, toErrorInfo(e), onFailure);
    }
    if (!run) {
      await j.append({ type: "step.skipped", stepId: member.id, reason: "condition", note: typeof spec.when === "string" ? spec.when : undefined });
      return "ok";
    }
  }

  const def = deps.findAction(spec.action!);
  if (!def) return finalFailure(deps, member, { code: ErrorCode.PlaybookInvalid, message: `unknown action ${spec.action}` }, onFailure);

  if (interrupted && !def.idempotent && !pending) {
    const policy = spec.resume ?? defaults.resume ?? "pause";
    const what = `step ${member.id} (${def.kind}, not idempotent) was interrupted while running`;
    if (policy === "pause") {
      await j.append({ type: "run.paused", reason: "resume-policy", stepId: member.id, message: `${what}; it may or may not have taken effect` });
      return "stop";
    }
    if (policy === "skip") {
      await j.append({ type: "step.skipped", stepId: member.id, reason: "resume-policy", note: what });
      return "ok";
    }
    if (policy === "fail") return finalFailure(deps, member, { code: ErrorCode.StepFailed, message: `${what}; resume policy is fail` }, onFailure);
  }

  if (def.gate && !st()?.approvedBy) {
    const expiry = gateExpiry(j.state, member.id, spec);
    if (isExpired(expiry)) {
      const when = new Date(expiry.expiresAt).toISOString();
      if (expiry.onExpiry === "approve") {
        await j.append({ type: "gate.approved", stepId: member.id, by: deps.actor, note: `approved automatically: the gate expired at ${when} (onExpiry: approve)` });
      } else {
        const error = { code: ErrorCode.StepTimeout, message: `gate ${member.id} expired at ${when} without an approval`, retryable: false };
        return finalFailure(deps, member, error, expiry.onExpiry === "abort" ? "abort" : onFailure);
      }
    } else {
      if (j.state.pause?.stepId !== member.id || j.state.status !== "paused") {
        await j.append({ type: "run.paused", reason: "approval", stepId: member.id, message: gateMessage(spec, member.id) });
      }
      return "stop";
    }
  }
  return attempts(deps, ctl, member, spec, def, onFailure, scope);
}

function gateMessage(spec: StepSpec, id: string): string {
  const m = spec.with?.message;
  return typeof m === "string" && !m.includes("${{") ? `${id} waits for approval: ${m}` : `${id} waits for approval`;
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
  const defaults = deps.playbook.defaults ?? {};
  const retry = spec.retry ?? defaults.retry;
  const maxRetries = retry?.maxRetries ?? 0;
  const timeoutMs = spec.timeout ?? defaults.timeout;
  const now = deps.now ?? Date.now;
  const doSleep = deps.sleep ?? sleep;

  while (true) {
    if (ctl.stopping()) return "stop";
    const st = j.state.steps[member.id];
    // A retry scheduled before a crash waits only what is left of its delay.
    if (st?.status === "failed" && st.retryInMs !== undefined && st.finishedAt) {
      const left = Date.parse(st.finishedAt) + st.retryInMs - now();
      if (left > 0) {
        try {
          await doSleep(left, ctl.cancelSignal);
        } catch {
          return "stop";
        }
        if (ctl.stopping()) return "stop";
      }
    }
    let input: unknown;
    try {
      input = def.with.parse(resolveValue(spec.with ?? {}, scope()));
    } catch (e) {
      const info = isZodError(e)
        ? { code: ErrorCode.PlaybookInvalid, message: `step ${member.id}: its inputs, once resolved, are invalid: ${e.issues.map((i) => `with.${i.path.join(".")}: ${i.message}`).join("; ")}`, retryable: false }
        : toErrorInfo(e);
      return finalFailure(deps, member, { ...info, message: deps.redactor.redact(info.message) }, onFailure);
    }
    const attempt = (st?.attempts ?? 0) + 1;
    await j.append({ type: "step.started", stepId: member.id, attempt });
    const started = now();
    const timeout = timeoutMs !== undefined ? AbortSignal.timeout(parseDuration(timeoutMs)) : undefined;
    const signal = timeout ? AbortSignal.any([ctl.cancelSignal, timeout]) : ctl.cancelSignal;
    const state = j.state.steps[member.id]!;
    try {
      const result = await def.run(input, {
        runId: j.runId,
        stepId: member.id,
        attempt,
        signal,
        log: makeLogger(deps, member.id),
        stateDir: deps.stateDir,
        baseDir: deps.baseDir,
        provider: <T>(target: string, capability: string) => deps.provider(target, capability) as Promise<T>,
        checkpoint: async (data: Json) => {
          await j.append({ type: "step.checkpoint", stepId: member.id, attempt, data: deps.redactor.redactJson(data) });
        },
        priorCheckpoint: state.checkpoint,
        redact: (t) => deps.redactor.redact(t),
        dryRun: deps.dryRun ?? false,
        approval: state.approvedBy ? { by: state.approvedBy } : undefined,
      });
      if (ctl.cancelSignal.aborted) throw ctl.cancelSignal.reason;
      await j.append({
        type: "step.succeeded",
        stepId: member.id,
        attempt,
        outputs: deps.redactor.redactJson(result.outputs ?? {}),
        recorded: deps.redactor.redactJson(result.recorded ?? null),
        durationMs: now() - started,
      });
      return "ok";
    } catch (e) {
      const durationMs = now() - started;
      if (ctl.cancelSignal.aborted) {
        await j.append({ type: "step.failed", stepId: member.id, attempt, error: { code: ErrorCode.Cancelled, message: "cancelled by a second interrupt" }, durationMs });
        return "stop";
      }
      let info: ErrorInfo = toErrorInfo(e);
      if (timeout?.aborted) info = { code: ErrorCode.StepTimeout, message: `attempt ${attempt} exceeded the step timeout of ${timeoutMs}`, retryable: true };
      info = { ...info, message: deps.redactor.redact(info.message) };
      const failures = (j.state.steps[member.id]?.failures ?? 0) + 1;
      if (info.retryable !== false && failures <= maxRetries) {
        const retryInMs = backoffMs(failures, parseDuration(retry!.delay), parseDuration(retry!.maxDelay), retry!.factor);
        await j.append({ type: "step.failed", stepId: member.id, attempt, error: info, durationMs, retryInMs });
        continue;
      }
      await j.append({ type: "step.failed", stepId: member.id, attempt, error: info, durationMs });
      return afterFailure(deps, member, info, onFailure);
    }
  }
}

async function finalFailure(deps: EngineDeps, member: PlannedStep, error: ErrorInfo, onFailure: "pause" | "abort" | "continue"): Promise<MemberResult> {
  const attempt = deps.journal.state.steps[member.id]?.attempts ?? 0;
  await deps.journal.append({ type: "step.failed", stepId: member.id, attempt, error, durationMs: 0 });
  return afterFailure(deps, member, error, onFailure);
}

async function afterFailure(deps: EngineDeps, member: PlannedStep, error: ErrorInfo, onFailure: "pause" | "abort" | "continue"): Promise<MemberResult> {
  if (onFailure === "continue") return "ok";
  if (onFailure === "abort") {
    await deps.journal.append({ type: "abort.requested", by: deps.actor, reason: `step ${member.id} failed: ${error.message}` });
    return "abort";
  }
  await deps.journal.append({ type: "run.paused", reason: "failure", stepId: member.id, message: `step ${member.id} failed: ${error.message}${error.hint ? ` (${error.hint})` : ""}` });
  return "stop";
}

function isZodError(e: unknown): e is { issues: { path: PropertyKey[]; message: string }[] } {
  return e instanceof Error && e.name === "ZodError" && Array.isArray((e as { issues?: unknown }).issues);
}
