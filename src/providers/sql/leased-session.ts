/**
 * The frame every database-changing operation (apply, undo, backfill) runs
 * in: a connection of its own with the session settings applied, holding the
 * migration lease, cancelled when the step's signal aborts or the lease is
 * lost, and released and closed whatever happens.
 */
import type { MigrationLog } from "./apply.js";
import type { SessionSettings, SqlClient, SqlConnection } from "./driver.js";
import { MigrationLease } from "./lease.js";

/** How an operation (apply, undo, backfill) runs its session: the fields every one of them takes. */
export interface LeasedSessionOptions {
  runId: string;
  settings?: Partial<SessionSettings>;
  /** Retries of a statement whose lock wait timed out (SQLSTATE 55P03). */
  lockRetries?: number;
  lockRetryBaseMs?: number;
  leaseTtlMs?: number;
  leaseWaitMs?: number;
  log: MigrationLog;
  signal?: AbortSignal;
}

export interface LeasedSession {
  conn: SqlConnection;
  lease: MigrationLease;
  signal: AbortSignal;
}

export async function withMigrationLease<T>(
  client: SqlClient,
  purpose: string,
  o: LeasedSessionOptions,
  fn: (s: LeasedSession) => Promise<T>,
): Promise<T> {
  const signal = o.signal ?? new AbortController().signal;
  const conn = await client.connect(purpose);
  const onAbort = () => void conn.cancel();
  signal.addEventListener("abort", onAbort, { once: true });
  let lease: MigrationLease | undefined;
  try {
    // Frozen inside a transaction for longer than the lease lives: the lease is gone anyway, so free the locks.
    await conn.applySettings({
      ...client.settings,
      idleInTransactionTimeoutMs: Math.max(10_000, 2 * (o.leaseTtlMs ?? 30_000)),
      ...o.settings,
    });
    lease = await MigrationLease.acquire(client, conn, {
      runId: o.runId,
      ttlMs: o.leaseTtlMs ?? 30_000,
      waitMs: o.leaseWaitMs ?? 0,
      log: o.log,
      onLost: onAbort,
      signal,
    });
    return await fn({ conn, lease, signal });
  } finally {
    signal.removeEventListener("abort", onAbort);
    await lease?.release();
    await conn.close();
  }
}
