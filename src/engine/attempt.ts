/**
 * One attempt of an action, the same for a step's attempts (member.ts) and
 * abort's undo loop (abort.ts): resolve and parse the inputs, build the
 * context, run with the timeout and the run's cancel signal, classify the
 * outcome (cancelled by a second interrupt, timed out, failed), and the
 * backoff before the next try. Time comes from the injected clock
 * (`deps.now`, `deps.sleep`), so tests move it instead of waiting.
 *
 * The callers journal what happened: the event types differ (step.* or
 * undo.*), the rules for what an attempt is do not.
 */
import { isFenceable, type ActionContext, type ActionDefinition, type ActionFence } from "../core/action.js";
import { CutoverError, ErrorCode, toErrorInfo } from "../core/errors.js";
import type { Json } from "../core/json.js";
import { parseDuration } from "../playbook/duration.js";
import type { StepSpec } from "../playbook/schema.js";
import { backoffMs, clockOf, makeLogger, type EngineDeps } from "./context.js";
import type { ErrorInfo } from "./events.js";
import type { MemberControl } from "./member.js";
import { resolveValue } from "./resolve.js";
import type { Scope } from "../playbook/expressions.js";

export type Inputs = { ok: true; input: unknown } | { ok: false; error: ErrorInfo };

/** Resolve a `with` block in `scope` and parse it with the action's schema; a failure says which field, redacted. */
export function resolveInputs(
  deps: EngineDeps,
  def: ActionDefinition<unknown>,
  withBlock: unknown,
  scope: Scope,
  id: string,
): Inputs {
  try {
    return { ok: true, input: def.with.parse(resolveValue(withBlock ?? {}, scope)) };
  } catch (e) {
    const info: ErrorInfo = isZodError(e)
      ? {
          code: ErrorCode.PlaybookInvalid,
          message:
            `step ${id}: its inputs, once resolved, are invalid: ` +
            `${e.issues.map((i) => `with.${i.path.map(String).join(".")}: ${i.message}`).join("; ")}`,
          retryable: false,
        }
      : toErrorInfo(e);
    return { ok: false, error: redactInfo(deps, info) };
  }
}

export interface AttemptRequest {
  /** The planned step id (the context's stepId). */
  id: string;
  attempt: number;
  /** The attempt's time limit (a playbook duration), if any. */
  timeout?: string | number;
  /** How a timeout reads: `attempt 2 exceeded the step timeout of 5m`. */
  timeoutMessage: string;
  /** Journals an action checkpoint (step.checkpoint or undo.checkpoint). */
  checkpoint(data: Json): Promise<void>;
}

export type AttemptOutcome<T> =
  { ok: true; value: T; durationMs: number } | { ok: false; cancelled: boolean; error: ErrorInfo; durationMs: number };

/** Run one attempt: `fn` gets the context every action sees; the outcome is classified, never thrown. */
export async function runAttempt<T>(
  deps: EngineDeps,
  ctl: MemberControl,
  req: AttemptRequest,
  fn: (ctx: ActionContext) => Promise<T>,
): Promise<AttemptOutcome<T>> {
  const clock = clockOf(deps);
  const started = clock.now();
  const done = new AbortController();
  const timedOut = new AbortController();
  if (req.timeout !== undefined) {
    clock.sleep(parseDuration(req.timeout), done.signal).then(
      () => timedOut.abort(new Error(req.timeoutMessage)),
      () => undefined, // the attempt ended first
    );
  }
  const signal = AbortSignal.any([ctl.cancelSignal, timedOut.signal]);
  const fence = actionFence(deps);
  const ctx: ActionContext = {
    runId: deps.journal.runId,
    ...(deps.journal.state.admission?.supersedes ? { supersedes: deps.journal.state.admission.supersedes } : {}),
    stepId: req.id,
    attempt: req.attempt,
    signal,
    log: makeLogger(deps, req.id),
    stateDir: deps.stateDir,
    baseDir: deps.baseDir,
    provider: async <P>(target: string, capability: string) => {
      const client = await deps.provider(target, capability);
      // Side effects carry the fencing token: a run that lost its lease cannot act on the environment.
      return (fence && isFenceable(client) ? client.withFence(fence) : client) as P;
    },
    checkpoint: (data: Json) => req.checkpoint(deps.redactor.redactJson(data)),
    redact: (t) => deps.redactor.redact(t),
    ...(fence ? { fence } : {}),
  };
  try {
    const value = await fn(ctx);
    if (ctl.cancelSignal.aborted) throw ctl.cancelSignal.reason;
    return { ok: true, value, durationMs: clock.now() - started };
  } catch (e) {
    const durationMs = clock.now() - started;
    if (ctl.cancelSignal.aborted) {
      return {
        ok: false,
        cancelled: true,
        error: { code: ErrorCode.Cancelled, message: "cancelled by a second interrupt" },
        durationMs,
      };
    }
    const info: ErrorInfo = timedOut.signal.aborted
      ? { code: ErrorCode.StepTimeout, message: req.timeoutMessage, retryable: true }
      : toErrorInfo(e);
    return { ok: false, cancelled: false, error: redactInfo(deps, info), durationMs };
  } finally {
    done.abort();
  }
}

export interface RetryPolicy {
  maxRetries: number;
  /** The wait before retry number `failures` (1-based), with jitter. */
  delayMs(failures: number): number;
}

/** The retry policy of a step (its own, else the playbook's default). */
export function retryPolicy(deps: EngineDeps, spec: StepSpec): RetryPolicy {
  const retry = spec.retry ?? deps.playbook.defaults?.retry;
  if (!retry) return { maxRetries: 0, delayMs: () => 0 };
  return {
    maxRetries: retry.maxRetries ?? 0,
    delayMs: (failures) => backoffMs(failures, parseDuration(retry.delay), parseDuration(retry.maxDelay), retry.factor),
  };
}

/** Whether a failed attempt may be tried again under `policy` (`failures` counts this one). */
export function mayRetry(error: ErrorInfo, failures: number, policy: RetryPolicy): boolean {
  return error.retryable !== false && failures <= policy.maxRetries;
}

/** Wait `ms` on the injected clock; false when a second interrupt cancelled the wait. */
export async function waitOrCancel(deps: EngineDeps, ctl: MemberControl, ms: number): Promise<boolean> {
  if (ms <= 0) return true;
  try {
    await clockOf(deps).sleep(ms, ctl.cancelSignal);
    return true;
  } catch {
    return false;
  }
}

/** The run's fence for side effects: the journal's, re-checked against the store on demand. */
function actionFence(deps: EngineDeps): ActionFence | undefined {
  const journalFence = deps.journal.fence;
  if (!journalFence) return undefined;
  const { environment, token } = journalFence;
  return {
    environment,
    token,
    assertHeld: async () => {
      const current = await deps.journal.store.readLease(environment);
      if (current?.token === token) return;
      const now = current ? `it is now held by ${current.holder} (token ${current.token})` : "it was released";
      throw new CutoverError(
        ErrorCode.LeaseLost,
        `lease on environment ${environment} (token ${token}) is no longer ours: ${now}; ` +
          "the side effect was not made",
        {
          hint:
            "another run took the environment over (after expiry " +
            "or `cutover unlock --force`); check `cutover status`",
          details: { environment, token, currentToken: current?.token },
        },
      );
    },
  };
}

function redactInfo(deps: EngineDeps, info: ErrorInfo): ErrorInfo {
  return { ...info, message: deps.redactor.redact(info.message) };
}

function isZodError(e: unknown): e is { issues: { path: PropertyKey[]; message: string }[] } {
  return e instanceof Error && e.name === "ZodError" && Array.isArray((e as { issues?: unknown }).issues);
}
