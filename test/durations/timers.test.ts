/** src/core/timers.ts: no Node timer is handed a delay it cannot hold (2^31 - 1 ms at most). */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { isCutoverError } from "../../src/core/errors.js";
import { MAX_TIMER_MS, pause, sleep, timeoutSignal, timerDelay } from "../../src/core/timers.js";

const warnings: Error[] = [];
const onWarning = (w: Error) => warnings.push(w);
beforeEach(() => process.on("warning", onWarning));
afterEach(() => {
  process.off("warning", onWarning);
  warnings.splice(0);
});

describe("timerDelay", () => {
  it.each([MAX_TIMER_MS + 1, 2000 * 3_600_000, -1, Number.NaN, Number.POSITIVE_INFINITY])(
    "refuses %d with a CONFIG_INVALID error naming the field",
    (ms) => {
      let caught: unknown;
      try {
        timerDelay(ms, "lease.ttl");
      } catch (e) {
        caught = e;
      }
      expect(isCutoverError(caught, "CONFIG_INVALID")).toBe(true);
      expect((caught as Error).message).toMatch(/^lease\.ttl: .+ is not a delay a timer can hold \(0ms to 24d20h\)$/);
    },
  );

  it("rounds what it accepts to a whole millisecond", () => {
    expect([0, 1.4, 1.6, MAX_TIMER_MS].map((ms) => timerDelay(ms, "x"))).toEqual([0, 1, 2, MAX_TIMER_MS]);
  });

  it("timeoutSignal refuses the values AbortSignal.timeout throws an internal RangeError for", () => {
    expect(() => AbortSignal.timeout(0.5)).toThrow(/out of range/);
    expect(() => timeoutSignal(2 ** 32, "timeout")).toThrow(/timeout: .+ is not a delay a timer can hold/);
  });
});

describe("sleep", () => {
  it(
    "holds a wait longer than a timer can (it used to " + "fire after 1 ms), and an abort ends it with the reason",
    async () => {
      const ac = new AbortController();
      const long = sleep(MAX_TIMER_MS + 10_000, ac.signal).then(() => "resolved");
      // A timer that overflowed would fire after 1 ms, before this one.
      const first = await Promise.race([long, sleep(30).then(() => "still waiting")]);
      expect(first).toBe("still waiting");
      const reason = new Error("step timed out");
      ac.abort(reason);
      await expect(long).rejects.toBe(reason);
      expect(warnings.map((w) => w.name)).not.toContain("TimeoutOverflowWarning");
    },
  );

  it("leaves no abort listener behind, however many waits share one signal", async () => {
    const ac = new AbortController();
    for (let i = 0; i < 30; i++) await sleep(0, ac.signal);
    for (let i = 0; i < 30; i++) await pause(0, ac.signal);
    await new Promise((r) => setImmediate(r));
    expect(warnings.map((w) => w.name)).toEqual([]);
  });

  it("pause ends early on abort without an error", async () => {
    const ac = new AbortController();
    const p = pause(60_000, ac.signal);
    ac.abort(new Error("cancelled"));
    await expect(p).resolves.toBeUndefined();
  });
});
