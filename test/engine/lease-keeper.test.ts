import { afterEach, describe, expect, it } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { LeaseKeeper } from "../../src/engine/lease-keeper.js";
import type { LeaseInfo, RunStore } from "../../src/core/run-store.js";
import { CutoverError, ErrorCode } from "../../src/core/errors.js";
import { FileStore } from "../../src/providers/file/index.js";

let dir: string | undefined;
afterEach(() => dir && rmSync(dir, { recursive: true, force: true }));

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("LeaseKeeper", () => {
  it("renews the lease before it expires", async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), "cutover-lease-"));
    const store = new FileStore({ dir });
    const lost: unknown[] = [];
    const k = await LeaseKeeper.acquire(store, { environment: "e", holder: "me", ttlMs: 300 }, (e) => lost.push(e));
    await wait(700);
    const current = await store.readLease("e");
    expect(Date.parse(current!.expiresAt)).toBeGreaterThan(Date.now());
    expect(lost).toEqual([]);
    await k.release();
    expect(await store.readLease("e").then((l) => l && Date.parse(l.expiresAt) > Date.now())).toBeFalsy();
  });

  it("reports a stolen lease at the next renewal", async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), "cutover-lease-"));
    const store = new FileStore({ dir });
    const lost: unknown[] = [];
    const k = await LeaseKeeper.acquire(store, { environment: "e", holder: "me", ttlMs: 300 }, (e) => lost.push(e));
    await store.forceLease({ environment: "e", holder: "on-call", ttlMs: 60_000 });
    await wait(400);
    expect(lost).toHaveLength(1);
    expect((lost[0] as CutoverError).code).toBe(ErrorCode.LeaseLost);
    await k.release();
  });

  it("rides out a transient renewal failure while the lease is still valid", async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), "cutover-lease-"));
    const real = new FileStore({ dir });
    let failures = 2;
    const flaky: RunStore = Object.assign(Object.create(real) as RunStore, {
      renewLease: (lease: LeaseInfo, ttl: number) => (failures-- > 0 ? Promise.reject(new Error("503 from the store")) : real.renewLease(lease, ttl)),
    });
    const lost: unknown[] = [];
    const k = await LeaseKeeper.acquire(flaky, { environment: "e", holder: "me", ttlMs: 900 }, (e) => lost.push(e));
    await wait(1_500);
    expect(failures).toBeLessThan(0);
    expect(lost).toEqual([]);
    await k.release();
  });
});
