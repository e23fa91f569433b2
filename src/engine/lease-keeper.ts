/**
 * Holds an environment lease while a run works: renews it at a third of its
 * TTL, and reports loss (expired and taken, or stolen with `unlock --force`)
 * so the run stops instead of writing with a stale fencing token.
 *
 * Time left is judged the way the store contract says (the store's clock
 * decides): the store granted `ttlMs` from its own `now` when it answered,
 * which is no earlier than when we asked; so the lease is surely ours until
 * `asked + ttlMs` on our own monotonic clock. The store's timestamps
 * (`expiresAt`) are never compared with this host's clock: a store whose
 * clock is an hour off changes nothing.
 */
import { performance } from "node:perf_hooks";
import { ErrorCode, isCutoverError } from "../core/errors.js";
import type { LeaseInfo, LeaseRequest, RunStore } from "../core/run-store.js";
import { sleep, type EngineClock } from "./context.js";

/** A monotonic clock whose timers never keep the process alive (the run's own work does). */
const monotonicClock: EngineClock = {
  now: () => performance.now(),
  sleep: (ms, signal) => sleep(ms, signal, { ref: false }),
};

const MIN_DELAY_MS = 50;
const MAX_RETRY_DELAY_MS = 1_000;

export interface LeaseKeeperOptions {
  /** Monotonic time and sleeps (tests inject a fake clock). */
  clock?: EngineClock;
}

export class LeaseKeeper {
  private readonly stop = new AbortController();
  /** On our clock: until when the lease is surely ours (the last grant's TTL, from when we asked for it). */
  private surelyOursUntil: number;

  private constructor(
    private readonly store: RunStore,
    public lease: LeaseInfo,
    private readonly ttlMs: number,
    private readonly onLost: (error: unknown) => void,
    private readonly clock: EngineClock,
    asked: number,
  ) {
    this.surelyOursUntil = asked + ttlMs;
  }

  static async acquire(
    store: RunStore,
    req: LeaseRequest,
    onLost: (error: unknown) => void,
    options: LeaseKeeperOptions = {},
  ): Promise<LeaseKeeper> {
    const clock = options.clock ?? monotonicClock;
    const asked = clock.now();
    const lease = await store.acquireLease(req);
    const k = new LeaseKeeper(store, lease, req.ttlMs, onLost, clock, asked);
    void k.keep();
    return k;
  }

  /** Milliseconds the lease is surely still ours, by the TTL the store granted. */
  get timeLeftMs(): number {
    return this.surelyOursUntil - this.clock.now();
  }

  /**
   * A lease that is no longer ours (LEASE_LOST) stops the run at once. Any
   * other failure (a network blip, a throttled store) is retried while the
   * lease is surely ours: losing a release to one 503 would be absurd.
   */
  private async keep(): Promise<void> {
    let wait = this.renewInterval();
    for (;;) {
      try {
        await this.clock.sleep(wait, this.stop.signal);
      } catch {
        return; // released
      }
      const asked = this.clock.now();
      try {
        this.lease = await this.store.renewLease(this.lease, this.ttlMs);
        this.surelyOursUntil = asked + this.ttlMs;
        wait = this.renewInterval();
      } catch (e) {
        if (this.stop.signal.aborted) return;
        const left = this.timeLeftMs;
        if (isCutoverError(e, ErrorCode.LeaseLost) || left <= 0) {
          this.onLost(e);
          return;
        }
        wait = Math.max(MIN_DELAY_MS, Math.min(MAX_RETRY_DELAY_MS, left / 4));
      }
    }
  }

  private renewInterval(): number {
    return Math.max(MIN_DELAY_MS, Math.floor(this.ttlMs / 3));
  }

  async release(): Promise<void> {
    this.stop.abort();
    await this.store.releaseLease(this.lease).catch(() => undefined);
  }
}
