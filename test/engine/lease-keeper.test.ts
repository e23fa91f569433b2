/**
 * The lease keeper renews at a third of the TTL, stops the run when the lease
 * is no longer ours, rides out transient store failures while the lease is
 * valid, and judges "still valid" by the store's clock (the TTL the store
 * granted, measured from when we asked), never by comparing the store's
 * timestamps with the local clock. Time is a FakeClock: nothing sleeps.
 */
import { afterEach, describe, expect, it } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { LeaseKeeper } from "../../src/engine/lease-keeper.js";
import type { LeaseInfo, RunStore } from "../../src/core/run-store.js";
import { CutoverError, ErrorCode } from "../../src/core/errors.js";
import { FileStore } from "../../src/providers/file/index.js";
import { FakeClock, until } from "./fake-clock.js";
import { formatHolder } from "../../src/core/lease-holder.js";

let dir: string | undefined;
afterEach(() => dir && rmSync(dir, { recursive: true, force: true }));

const me = { user: "me", host: "here", pid: 1, runId: "r1" };
const req = (ttlMs: number) => ({ environment: "e", holder: formatHolder(me), by: me, ttlMs });

/** A store whose renewals the test can count and make fail. */
function countingStore(real: RunStore, failFirst = 0): RunStore & { renewals: number; failures: number } {
  const s = Object.assign(Object.create(real) as RunStore, { renewals: 0, failures: 0 });
  s.renewLease = async (lease: LeaseInfo, ttl: number) => {
    s.renewals++;
    if (s.renewals <= failFirst) {
      s.failures++;
      throw new Error("503 from the store");
    }
    return real.renewLease(lease, ttl);
  };
  return s;
}

function fileStore(clock?: () => Date): FileStore {
  dir = mkdtempSync(path.join(os.tmpdir(), "cutover-lease-"));
  return new FileStore({ dir, ...(clock ? { clock } : {}) });
}

describe("LeaseKeeper", () => {
  it("renews the lease at a third of its TTL, and releases it", async () => {
    const real = fileStore();
    const store = countingStore(real);
    const clock = new FakeClock(Date.now(), false);
    const lost: unknown[] = [];
    const k = await LeaseKeeper.acquire(store, req(30_000), (e) => lost.push(e), { clock });
    const first = k.lease.expiresAt;
    await clock.advance(9_999);
    expect(store.renewals).toBe(0);
    await clock.advance(1);
    await until(() => k.lease.expiresAt !== first, "the first renewal");
    expect(store.renewals).toBe(1);
    await clock.advance(10_000);
    await until(() => store.renewals === 2, "the second renewal");
    expect(lost).toEqual([]);
    await k.release();
    expect(await real.readLease("e")).toBeUndefined();
  });

  it("reports a stolen lease at the next renewal", async () => {
    const store = fileStore();
    const clock = new FakeClock(Date.now(), false);
    const lost: unknown[] = [];
    const k = await LeaseKeeper.acquire(store, req(30_000), (e) => lost.push(e), { clock });
    await store.forceLease({ environment: "e", holder: "on-call@here pid 2", ttlMs: 60_000 });
    await clock.advance(10_000);
    await until(() => lost.length > 0, "the loss");
    expect((lost[0] as CutoverError).code).toBe(ErrorCode.LeaseLost);
    await k.release();
  });

  it("rides out transient renewal failures while the lease is still valid", async () => {
    const store = countingStore(fileStore(), 2);
    const clock = new FakeClock(Date.now(), false);
    const lost: unknown[] = [];
    const k = await LeaseKeeper.acquire(store, req(900), (e) => lost.push(e), { clock });
    for (let i = 0; i < 3; i++) {
      await until(() => clock.pending > 0, "the keeper to wait");
      await clock.advance(300);
    }
    await until(() => store.renewals >= 3, "a renewal that succeeds");
    expect(store.failures).toBe(2);
    expect(lost).toEqual([]);
    await k.release();
  });

  it("gives up when a failing store leaves no time on the lease, by the TTL the store granted", async () => {
    const store = countingStore(fileStore(), 100);
    const clock = new FakeClock(0, false);
    const lost: number[] = [];
    await LeaseKeeper.acquire(store, req(900), () => lost.push(clock.now()), { clock });
    while (lost.length === 0) {
      await until(() => clock.pending > 0 || lost.length > 0, "the keeper to wait or give up");
      if (lost.length === 0) await clock.advance(100);
    }
    // Not before the granted TTL ran out, and at the first renewal attempt after it.
    expect(lost[0]).toBeGreaterThanOrEqual(900);
    expect(lost[0]).toBeLessThan(1_000);
    expect(store.renewals).toBeGreaterThan(3);
  });

  it("judges time left by the store's clock: a store an hour behind this host is no reason to give up", async () => {
    const real = fileStore(() => new Date(Date.now() - 3_600_000));
    const store = countingStore(real, 1);
    const clock = new FakeClock(Date.now(), false);
    const lost: unknown[] = [];
    const k = await LeaseKeeper.acquire(store, req(600), (e) => lost.push(e), { clock });
    await clock.advance(200);
    await until(() => store.renewals >= 1, "the first renewal");
    await until(() => clock.pending > 0 || lost.length > 0, "the retry to be scheduled");
    await clock.advance(200);
    await until(() => store.renewals >= 2 || lost.length > 0, "the retried renewal");
    expect(lost).toEqual([]);
    await k.release();
  });
});
