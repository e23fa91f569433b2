/**
 * A clock for engine tests: time moves only when the test (or an
 * auto-advancing sleep) moves it, so retries, timeouts, gate expiry and
 * lease renewals are tested without real waits.
 *
 * - `auto` (the default): a sleep returns at once, moving time forward by
 *   its length (a retry's backoff costs nothing).
 * - manual: a sleep waits until `advance()` moves time past its end
 *   (a step timeout fires exactly when the test says so).
 */
interface Waiter {
  until: number;
  resolve(): void;
}

export class FakeClock {
  private t: number;
  private waiters: Waiter[] = [];

  constructor(
    start = Date.parse("2026-01-01T00:00:00.000Z"),
    public auto = true,
  ) {
    this.t = start;
  }

  now = (): number => this.t;
  date = (): Date => new Date(this.t);

  sleep = (ms: number, signal?: AbortSignal): Promise<void> => {
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.auto) {
      this.t += Math.max(0, ms);
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const w: Waiter = {
        until: this.t + Math.max(0, ms),
        resolve: () => {
          signal?.removeEventListener("abort", onAbort);
          resolve();
        },
      };
      const onAbort = () => {
        this.waiters = this.waiters.filter((x) => x !== w);
        reject(signal!.reason);
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.waiters.push(w);
    });
  };

  /** How many sleeps are waiting (a test's handshake: "the keeper is waiting for its next renewal"). */
  get pending(): number {
    return this.waiters.length;
  }

  /** Move time forward, waking every sleep that ends by then, in order. */
  async advance(ms: number): Promise<void> {
    const target = this.t + ms;
    for (;;) {
      const due = this.waiters.filter((w) => w.until <= target).sort((a, b) => a.until - b.until)[0];
      if (!due) break;
      this.waiters = this.waiters.filter((w) => w !== due);
      this.t = Math.max(this.t, due.until);
      due.resolve();
      await new Promise((r) => setImmediate(r));
    }
    this.t = target;
  }
}

/** Resolve once `predicate` holds, checking after each turn of the event loop (a handshake, not a timed wait). */
export async function until(predicate: () => boolean, what = "condition"): Promise<void> {
  const giveUp = Date.now() + 20_000; // a hung test fails instead of hanging; never a timing assertion
  while (!predicate()) {
    if (Date.now() > giveUp) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setImmediate(r));
  }
}
