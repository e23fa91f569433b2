import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TableClient } from "@azure/data-tables";
import { startAzurite, type Azurite } from "./fakes/azurite.js";
import { TableRunStore } from "../../src/providers/azure/table-run-store.js";
import { isCutoverError, ErrorCode } from "../../src/core/errors.js";
import type { RunEventBody } from "../../src/engine/events.js";
import { HEAD_ROW, LEASE_PARTITION, int64, runPartition, toNumber } from "../../src/providers/azure/table-entities.js";
import { startedEvent } from "../store-contract.js";

let azurite: Azurite;
let n = 0;
beforeAll(async () => {
  azurite = await startAzurite({ table: true });
});
afterAll(async () => {
  await azurite?.stop();
});

/** Several agents (store instances) sharing one table and one adjustable clock. */
function agents(count: number) {
  const table = TableClient.fromConnectionString(azurite.connectionString, `lease${Date.now()}x${n++}`, {
    allowInsecureConnection: true,
    retryOptions: { maxRetries: 0 },
  });
  const clock = { t: Date.parse("2026-05-01T10:00:00Z") };
  const now = () => new Date(clock.t);
  return { table, clock, stores: Array.from({ length: count }, () => new TableRunStore({ table, now })) };
}

const ev: RunEventBody = { type: "step.started", stepId: "a", attempt: 1 };
/** A journal starts with run.started (stores refuse anything else at seq 0). */
const first: RunEventBody = startedEvent("prod");
const req = (holder: string, runId?: string) => ({ environment: "prod", holder, runId, ttlMs: 60_000 });

async function codeOf(p: Promise<unknown>): Promise<string | undefined> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  return isCutoverError(e) ? e.code : e === undefined ? undefined : String(e);
}

describe("TableRunStore lease", () => {
  it("acquire is exclusive while live, names the holder, and tokens grow", async () => {
    const { stores, clock } = agents(2);
    const [a, b] = stores as [TableRunStore, TableRunStore];
    const la = await a.acquireLease(req("alice", "r1"));
    expect(la.token).toBe(1);
    const e = await b.acquireLease(req("bob")).catch((x: unknown) => x);
    expect(isCutoverError(e, ErrorCode.Locked)).toBe(true);
    expect(String((e as Error).message)).toContain("alice");
    clock.t += 61_000;
    const lb = await b.acquireLease(req("bob", "r2"));
    expect(lb.token).toBe(2);
    expect(await codeOf(a.renewLease(la, 60_000))).toBe(ErrorCode.LeaseLost);
    expect((await a.readLease("prod"))?.holder).toBe("bob");
  });

  it("renew extends; release frees it without resetting the token", async () => {
    const { stores, clock } = agents(2);
    const [a, b] = stores as [TableRunStore, TableRunStore];
    let la = await a.acquireLease(req("alice"));
    clock.t += 50_000;
    la = await a.renewLease(la, 60_000);
    clock.t += 50_000; // past the first expiry, within the renewed one
    expect(await codeOf(b.acquireLease(req("bob")))).toBe(ErrorCode.Locked);
    await a.releaseLease(la);
    await a.releaseLease(la); // idempotent
    expect(await a.readLease("prod")).toBeUndefined();
    const lb = await b.acquireLease(req("bob"));
    expect(lb.token).toBe(2);
    await a.releaseLease(la); // a stale release must not free bob's lease
    expect((await b.readLease("prod"))?.holder).toBe("bob");
  });

  it("renew from another instance (no cached etag) works while the lease is ours", async () => {
    const { stores } = agents(2);
    const [a, b] = stores as [TableRunStore, TableRunStore];
    const la = await a.acquireLease(req("alice"));
    const renewed = await b.renewLease(la, 120_000);
    expect(Date.parse(renewed.expiresAt)).toBeGreaterThan(Date.parse(la.expiresAt));
    await a.renewLease(la, 60_000); // a's cached etag is stale now: it must re-read, not fail
  });

  it("of agents racing for a free lease exactly one wins", async () => {
    const { stores } = agents(5);
    const results = await Promise.allSettled(stores.map((s, i) => s.acquireLease(req(`agent${i}`))));
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    for (const r of results) if (r.status === "rejected") expect(isCutoverError(r.reason, ErrorCode.Locked)).toBe(true);
  });

  it("force takes a live lease, returns the previous one, and fences the old holder's appends", async () => {
    const { stores } = agents(2);
    const [a, b] = stores as [TableRunStore, TableRunStore];
    const la = await a.acquireLease(req("alice", "run-a"));
    await a.append("run-a", [first], 0, la);
    await a.append("run-a", [ev], 1, la);
    const { lease: lb, previous } = await b.forceLease(req("bob", "run-b"));
    expect(previous?.holder).toBe("alice");
    expect(lb.token).toBe(la.token + 1);
    // alice's fast path (cached head etag) must be refused now.
    expect(await codeOf(a.append("run-a", [ev], 2, la))).toBe(ErrorCode.LeaseLost);
    expect(await codeOf(a.renewLease(la, 60_000))).toBe(ErrorCode.LeaseLost);
    // bob can resume alice's run under his own lease.
    await b.append("run-a", [ev], 2, lb);
    expect((await b.read("run-a")).map((e) => e.seq)).toEqual([1, 2, 3]);
  });

  it("a fence the store never saw is checked against the lease entity", async () => {
    const { stores } = agents(3);
    const [a, b, c] = stores as [TableRunStore, TableRunStore, TableRunStore];
    const la = await a.acquireLease(req("alice", "r"));
    await a.append("r", [first], 0, la);
    await c.append("r", [ev], 1, la); // c never acquired: slow path, still ours
    await b.forceLease(req("bob", "other"));
    expect(await codeOf(c.append("r", [ev], 2, la))).toBe(ErrorCode.LeaseLost);
    // A holder paused before its first append is fenced too.
    const { lease: lb } = await b.forceLease(req("bob", "fresh"));
    await a.forceLease(req("alice", "other2"));
    expect(await codeOf(b.append("fresh", [first], 0, lb))).toBe(ErrorCode.LeaseLost);
  });

  it(
    "a mark left by a takeover that lost its race does " + "not stop the holder, and does not reopen the fast path",
    async () => {
      const { stores, table } = agents(2);
      const [a, b] = stores as [TableRunStore, TableRunStore];
      const la = await a.acquireLease(req("alice", "r"));
      await a.append("r", [first], 0, la);
      // Bob poisoned the run, then lost the lease race to alice's renew: the lease is still alice's.
      await table.updateEntity(
        { partitionKey: runPartition("r"), rowKey: HEAD_ROW, fenceToken: int64(la.token + 1) },
        "Merge",
        { etag: "*" },
      );
      await a.append("r", [ev], 1, la);
      await a.append("r", [ev], 2, la);
      const head = await table.getEntity<Record<string, unknown>>(runPartition("r"), HEAD_ROW);
      expect(toNumber(head.fenceToken)).toBe(la.token + 1);
      // A real takeover later still fences alice.
      const { lease: lb } = await b.forceLease(req("bob", "other"));
      expect(lb.token).toBe(la.token + 1);
      expect(await codeOf(a.append("r", [ev], 3, la))).toBe(ErrorCode.LeaseLost);
    },
  );

  it("stores the token as Int64 and reads it back", async () => {
    const { stores, table } = agents(1);
    const [a] = stores as [TableRunStore];
    await a.acquireLease(req("alice"));
    const raw = await table.getEntity<Record<string, unknown>>(LEASE_PARTITION, "prod");
    expect(typeof raw.token).toBe("bigint");
    expect((await a.readLease("prod"))?.token).toBe(1);
  });
});
