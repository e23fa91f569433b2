/**
 * Cancellation helpers. The engine owns step timeouts and operator
 * cancellation: it aborts `ctx.signal` with a reason of its choosing (a
 * timeout error, a CANCELLED error). Actions stop promptly and rethrow that
 * reason unchanged, so the engine recognises its own cancellation.
 */
import { CutoverError, ErrorCode } from "../../core/errors.js";
import { sleep as sleepFor } from "../../core/timers.js";

/** The error to throw for an aborted signal: its reason, or a CANCELLED error when the reason is not an Error. */
export function abortError(signal: AbortSignal): unknown {
  const reason: unknown = signal.reason;
  if (reason instanceof Error || (typeof reason === "object" && reason !== null && "name" in reason)) return reason;
  return new CutoverError(ErrorCode.Cancelled, "the step was cancelled", { retryable: false });
}

export function throwIfAborted(signal: AbortSignal): void {
  if (signal.aborted) throw abortError(signal);
}

/** Resolve after `ms`, or reject with the abort reason as soon as `signal` aborts (no listener outlives it). */
export async function sleep(ms: number, signal: AbortSignal): Promise<void> {
  try {
    await sleepFor(Math.max(0, ms), signal);
  } catch (e) {
    if (signal.aborted) throw abortError(signal);
    throw e;
  }
}
