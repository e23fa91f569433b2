/**
 * The storage contract the engine depends on, and nothing more (after umzug's
 * three-method UmzugStorage). Implementations: the embedded file store
 * (src/providers/file/run-store.ts) and Azure Table Storage
 * (src/providers/azure/table-run-store.ts). The engine imports only this.
 *
 * Contract every implementation honours (test/store-contract.ts checks it):
 * - `append` is atomic and conditional: it succeeds only if the run's last
 *   sequence number equals `expectedSeq`; otherwise it throws a CutoverError
 *   JOURNAL_CONFLICT and writes nothing. Of two racing appenders exactly one wins.
 * - When `append` returns, the events are durable (fsync'd, or acknowledged
 *   by the remote service): the engine starts the next side effect only then.
 * - When `fence` is given, the append is refused with LEASE_LOST unless that
 *   lease is still the current one for its environment (a stale holder that
 *   was paused and taken over cannot write).
 * - Leases judge expiry by `now()` of the store's clock and carry a fencing
 *   token that grows on every acquisition.
 */
import type { RunEvent, RunEventBody } from "../engine/events.js";
import type { LeaseHolder } from "./lease-holder.js";

export interface LeaseInfo {
  environment: string;
  /** Human-readable holder: `user@host pid 1234 run <id>` (what older versions stored alone). */
  holder: string;
  /** The holder as data, when it gave it (read it with `holderOf(lease)`, which falls back to `holder`). */
  by?: LeaseHolder;
  runId?: string;
  /** Monotonic per environment; grows on every acquire or steal. */
  token: number;
  acquiredAt: string;
  expiresAt: string;
}

export interface LeaseRequest {
  environment: string;
  holder: string;
  /** Stored with the lease, structured (see src/core/lease-holder.ts). */
  by?: LeaseHolder;
  runId?: string;
  ttlMs: number;
}

export interface Fence {
  environment: string;
  token: number;
}

export interface RunSummary {
  runId: string;
  playbook: string;
  environment: string;
  startedAt: string;
  /** Last event time and type, for a quick listing without folding. */
  updatedAt: string;
  lastEvent: string;
}

export interface RunStore {
  /** Append events after `expectedSeq` (0 for a new run). Returns the stored events. */
  append(runId: string, events: RunEventBody[], expectedSeq: number, fence?: Fence): Promise<RunEvent[]>;
  /** All events of a run, in order (from `afterSeq` exclusive). Throws RUN_NOT_FOUND for an unknown run. */
  read(runId: string, afterSeq?: number): Promise<RunEvent[]>;
  /** Known runs, newest first. */
  listRuns(options?: { environment?: string; limit?: number }): Promise<RunSummary[]>;

  /** Take the lease if free or expired; throws ENV_LOCKED naming the holder otherwise. */
  acquireLease(req: LeaseRequest): Promise<LeaseInfo>;
  /** Extend our lease; throws LEASE_LOST if it is no longer ours (expired and taken, or stolen). */
  renewLease(lease: LeaseInfo, ttlMs: number): Promise<LeaseInfo>;
  /** Give the lease back if still ours; never throws for a lease already gone. */
  releaseLease(lease: LeaseInfo): Promise<void>;
  /** Take the lease whoever holds it (break-glass); the token grows, so the old holder's writes fail. */
  forceLease(req: LeaseRequest): Promise<{ lease: LeaseInfo; previous?: LeaseInfo }>;
  /** The current lease, expired or not, if any. */
  readLease(environment: string): Promise<LeaseInfo | undefined>;

  close?(): Promise<void>;
}

/**
 * The ids `cutover run` makes (api/session.ts newRunId): `r<UTC date>-<time>-<6 hex>`, so that their order as
 * text is the order in which the runs started.
 */
export const RUN_ID_PATTERN = /^r\d{8}-\d{6}-[0-9a-f]{6}$/;

export function isLeaseLive(lease: LeaseInfo | undefined, now: Date = new Date()): lease is LeaseInfo {
  return lease !== undefined && Date.parse(lease.expiresAt) > now.getTime();
}
