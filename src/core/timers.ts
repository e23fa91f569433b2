/**
 * Timers that never get a value they cannot hold. Node's setTimeout and
 * setInterval take at most 2^31 - 1 ms (24.8 days): a longer delay fires
 * after 1 ms with only a warning, and AbortSignal.timeout throws `The value
 * of "delay" is out of range` for a fraction or anything past 2^32 - 1.
 * Playbook durations are range-checked at validation (src/core/duration.ts);
 * every delay computed from them goes through `timerDelay`, which refuses a
 * bad one with a clear error, and `sleep` splits a long wait into pieces.
 */
import { setTimeout as wait } from "node:timers/promises";
import { CutoverError, ErrorCode } from "./errors.js";
import { formatDuration } from "./duration.js";

/** The longest delay a Node.js timer holds. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** `ms` rounded to a whole millisecond, or a CONFIG_INVALID error naming `what` when no timer can hold it. */
export function timerDelay(ms: number, what: string): number {
  if (!Number.isFinite(ms) || ms < 0 || ms > MAX_TIMER_MS) {
    const shown = Number.isFinite(ms) && ms > 0 ? formatDuration(ms) : String(ms);
    throw new CutoverError(ErrorCode.Config, `${what}: ${shown} is not a delay a timer can hold (0ms to 24d20h)`);
  }
  return Math.round(ms);
}

/**
 * Resolve after `ms` (any length: split into pieces a timer holds), or reject
 * as soon as `signal` aborts, with the signal's reason (so the engine knows
 * its own timeout or cancellation). No listener outlives the call.
 */
export async function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (!Number.isFinite(ms) || ms < 0) timerDelay(ms, "a wait");
  let left = Math.round(ms);
  try {
    do {
      const piece = Math.min(left, MAX_TIMER_MS);
      await wait(piece, undefined, signal ? { signal } : undefined);
      left -= piece;
    } while (left > 0);
  } catch (e) {
    if (signal?.aborted) throw signal.reason ?? e;
    throw e;
  }
}

/** AbortSignal.timeout for a delay checked by timerDelay. */
export function timeoutSignal(ms: number, what: string): AbortSignal {
  return AbortSignal.timeout(timerDelay(ms, what));
}

/** Like sleep, but an abort only ends the wait early, without an error: for loops that check the signal themselves. */
export async function pause(ms: number, signal?: AbortSignal): Promise<void> {
  try {
    await sleep(ms, signal);
  } catch (e) {
    if (!signal?.aborted) throw e;
  }
}
