/**
 * Holds an environment lease while a run works: renews it at a third of its
 * TTL, and reports loss (expired and taken, or stolen with `unlock --force`)
 * so the run stops instead of writing with a stale fencing token.
 */
import { ErrorCode, isCutoverError } from "../core/errors.js";
import type { LeaseInfo, LeaseRequest, RunStore } from "../core/run-store.js";

export class LeaseKeeper {
  private timer?: NodeJS.Timeout;
  private stopped = false;

  private constructor(
    private readonly store: RunStore,
    public lease: LeaseInfo,
    private readonly ttlMs: number,
    private readonly onLost: (error: unknown) => void,
  ) {}

  static async acquire(store: RunStore, req: LeaseRequest, onLost: (error: unknown) => void): Promise<LeaseKeeper> {
    const lease = await store.acquireLease(req);
    const k = new LeaseKeeper(store, lease, req.ttlMs, onLost);
    k.schedule();
    return k;
  }

  private schedule(delayMs = Math.max(50, Math.floor(this.ttlMs / 3))): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.renew(), delayMs);
    this.timer.unref();
  }

  /**
   * A lease that is no longer ours (LEASE_LOST) stops the run at once. Any
   * other failure (a network blip, a throttled store) is retried while the
   * lease has not expired: losing a release to one 503 would be absurd.
   */
  private async renew(): Promise<void> {
    try {
      this.lease = await this.store.renewLease(this.lease, this.ttlMs);
      this.schedule();
    } catch (e) {
      if (this.stopped) return;
      const left = Date.parse(this.lease.expiresAt) - Date.now();
      if (isCutoverError(e, ErrorCode.LeaseLost) || left <= 0) this.onLost(e);
      else this.schedule(Math.max(50, Math.min(1_000, left / 4)));
    }
  }

  async release(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.store.releaseLease(this.lease).catch(() => undefined);
  }
}
