/**
 * Requests in flight per slot, reads and writes apart, and the drain waiters:
 * a drain waits for exactly the requests in flight when it began, and is told
 * the moment the last of them ends (pushed, not polled).
 */
import type { DrainResult, SlotName } from "../../core/slots.js";

interface Waiter {
  slot: SlotName;
  remaining: Set<number>;
  pendingAtStart: number;
  lastEndedAt?: number;
  done(drained: boolean): void;
}

/** What a drain counts as a read; every other method is a write. */
export function isWrite(method: string | undefined): boolean {
  return method !== "GET" && method !== "HEAD" && method !== "OPTIONS";
}

export class InFlight {
  /** In-flight request ids per slot, with whether each is a write. */
  private readonly bySlot: Record<SlotName, Map<number, boolean>> = { blue: new Map(), green: new Map() };
  private readonly waiters = new Set<Waiter>();
  private nextId = 1;
  /** Requests (and tunnels) ended since the proxy started. */
  served = 0;

  track(slot: SlotName, write: boolean): number {
    const id = this.nextId++;
    this.bySlot[slot].set(id, write);
    return id;
  }

  untrack(slot: SlotName, id: number): void {
    if (!this.bySlot[slot].delete(id)) return;
    this.served++;
    for (const w of this.waiters) {
      if (w.slot === slot && w.remaining.delete(id)) {
        w.lastEndedAt = Date.now();
        if (w.remaining.size === 0) w.done(true);
      }
    }
  }

  counts(slot: SlotName): { inFlight: number; inFlightWrites: number } {
    let writes = 0;
    for (const w of this.bySlot[slot].values()) if (w) writes++;
    return { inFlight: this.bySlot[slot].size, inFlightWrites: writes };
  }

  /**
   * Resolve when every request (or every write) in flight on `slot` now has
   * ended. Later requests do not extend the wait: on an idle slot that is "in
   * flight reached 0"; on a live slot in read-only mode it is "no write accepted
   * before the flag flipped is still running".
   */
  waitDrained(
    slot: SlotName,
    opts: { writesOnly: boolean; timeoutMs: number; signal?: AbortSignal },
  ): Promise<DrainResult> {
    const startedAt = Date.now();
    const remaining = new Set<number>();
    for (const [id, write] of this.bySlot[slot]) if (!opts.writesOnly || write) remaining.add(id);
    if (remaining.size === 0)
      return Promise.resolve({ slot, drained: true, pendingAtStart: 0, waitedMs: 0, drainedAt: startedAt });
    return new Promise((resolve) => {
      const waiter: Waiter = {
        slot,
        remaining,
        pendingAtStart: remaining.size,
        done: (drained) => {
          clearTimeout(timer);
          opts.signal?.removeEventListener("abort", onAbort);
          this.waiters.delete(waiter);
          const now = Date.now();
          const { pendingAtStart, lastEndedAt } = waiter;
          resolve({ slot, drained, pendingAtStart, waitedMs: now - startedAt, lastEndedAt, drainedAt: now });
        },
      };
      const timer = setTimeout(() => waiter.done(false), opts.timeoutMs);
      const onAbort = () => waiter.done(false);
      opts.signal?.addEventListener("abort", onAbort, { once: true });
      this.waiters.add(waiter);
    });
  }

  /** Answer every drain waiting now with "not drained" (the proxy is closing). */
  abandonWaiters(): void {
    for (const w of [...this.waiters]) w.done(false);
  }
}
