/**
 * The errors every lease store throws (file, PostgreSQL), so a run that meets
 * a held or lost lease reads the same words whichever store the environment
 * uses. LEASE_LOST stops the run at once (docs/design.md, invariant 6).
 */
import { CutoverError, ErrorCode } from "./errors.js";
import type { LeaseInfo } from "./run-store.js";

/** A lease's ttl must be a positive, finite number of milliseconds (CONFIG_INVALID otherwise). */
export function checkLeaseTtl(ttlMs: number): void {
  if (!Number.isFinite(ttlMs) || ttlMs <= 0) {
    throw new CutoverError(ErrorCode.Config, `lease ttl must be a positive number of milliseconds, got ${ttlMs}`);
  }
}

/**
 * ENV_LOCKED: someone else holds a live lease. `fromNow` is how long it has left, as the store can tell it
 * (`4m 10s from now`, `250s from now by the database's clock`).
 */
export function leaseLockedError(current: LeaseInfo, fromNow: string): CutoverError {
  return new CutoverError(
    ErrorCode.Locked,
    `environment ${current.environment} is locked by ${current.holder} until ${current.expiresAt} ` +
      `(${fromNow}, unless renewed)`,
    {
      hint:
        "wait for that run to finish; if its process is gone, the lease frees itself at expiry, " +
        `or take it now with \`cutover unlock ${current.environment} --force\` (journaled)`,
      details: {
        environment: current.environment,
        holder: current.holder,
        runId: current.runId,
        token: current.token,
        expiresAt: current.expiresAt,
      },
    },
  );
}

/** LEASE_LOST: the lease with our token is gone (taken over or released); `consequence` says what stops. */
export function leaseLostError(
  ours: Pick<LeaseInfo, "environment" | "token">,
  current: LeaseInfo | undefined,
  consequence = "stop writing",
): CutoverError {
  const now = current ? `it is now held by ${current.holder} (token ${current.token})` : "it was released";
  return new CutoverError(
    ErrorCode.LeaseLost,
    `lease on environment ${ours.environment} (token ${ours.token}) is no longer ours: ${now}; ${consequence}`,
    {
      hint:
        "another run took the environment over (after expiry or `cutover unlock --force`); " +
        "check `cutover status` before resuming",
      details: {
        environment: ours.environment,
        token: ours.token,
        currentToken: current?.token,
        currentHolder: current?.holder,
      },
    },
  );
}
