import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TableClient } from "@azure/data-tables";
import { startAzurite, type Azurite } from "./fakes/azurite.js";
import { TableRunStore } from "../../src/providers/azure/table-run-store.js";
import { isCutoverError, ErrorCode } from "../../src/core/errors.js";
import type { RunEventBody } from "../../src/engine/events.js";
import { HEAD_ROW, runPartition } from "../../src/providers/azure/table-entities.js";

let azurite: Azurite;
let n = 0;

beforeAll(async () => {
  azurite = await startAzurite({ table: true });
});
afterAll(async () => {
  await azurite?.stop();
});

function client(table: string): TableClient {
  return TableClient.fromConnectionString(azurite.connectionString, table, {
    allowInsecureConnection: true,
    retryOptions: { maxRetries: 0 },
  });
}

function freshStore(now?: () => Date): { store: TableRunStore; table: TableClient } {
  const table = client(`t${Date.now()}x${n++}`);
  return { store: new TableRunStore({ table, now }), table };
}

const started = (env = "prod"): RunEventBody => ({
  type: "run.started",
  playbook: { name: "pb", file: "pb.yaml", hash: "h" },
  environment: env,
  params: {},
  secretParams: [],
  steps: [{ id: "a", stepId: "a" }],
  by: { user: "u", host: "h", pid: 1 },
  cutoverVersion: "0",
});
const stepStarted = (attempt = 1): RunEventBody => ({ type: "step.started", stepId: "a", attempt });

async function expectCode(p: Promise<unknown>, code: string): Promise<void> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  expect(isCutoverError(e, code as never), `expected ${code}, got ${String(e)}`).toBe(true);
}

describe("TableRunStore journal", () => {
  it("appends in order with gapless sequence numbers and reads them back", async () => {
    const { store } = freshStore();
    const a = await store.append("r1", [started()], 0);
    expect(a.map((e) => e.seq)).toEqual([1]);
    const b = await store.append(
      "r1",
      [stepStarted(), { type: "step.checkpoint", stepId: "a", attempt: 1, data: { x: 1 } }],
      1,
    );
    expect(b.map((e) => e.seq)).toEqual([2, 3]);
    const all = await store.read("r1");
    expect(all.map((e) => [e.seq, e.type, e.runId])).toEqual([
      [1, "run.started", "r1"],
      [2, "step.started", "r1"],
      [3, "step.checkpoint", "r1"],
    ]);
    expect((await store.read("r1", 2)).map((e) => e.seq)).toEqual([3]);
    expect(await store.read("r1", 3)).toEqual([]);
  });

  it("refuses an append whose expectedSeq is stale, from a second store instance too", async () => {
    const { store, table } = freshStore();
    await store.append("r", [started()], 0);
    const other = new TableRunStore({ table });
    await other.append("r", [stepStarted()], 1);
    // `store` has a cached head etag for seq 1: the service must refuse it.
    await expectCode(store.append("r", [stepStarted(2)], 1), ErrorCode.JournalConflict);
    await expectCode(store.append("r", [stepStarted(2)], 5), ErrorCode.JournalConflict);
    await expectCode(store.append("r", [started()], 0), ErrorCode.JournalConflict);
    expect((await store.read("r")).map((e) => e.seq)).toEqual([1, 2]);
    await store.append("r", [stepStarted(3)], 2);
  });

  it("of two racing appenders of the same sequence exactly one wins", async () => {
    const { store, table } = freshStore();
    await store.append("race", [started()], 0);
    const stores = Array.from({ length: 6 }, () => new TableRunStore({ table }));
    const results = await Promise.allSettled(stores.map((s, i) => s.append("race", [stepStarted(i + 1)], 1)));
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    for (const r of results)
      if (r.status === "rejected") expect(isCutoverError(r.reason, ErrorCode.JournalConflict)).toBe(true);
    expect((await store.read("race")).map((e) => e.seq)).toEqual([1, 2]);
  });

  it("appends in one round trip once the head's etag is cached", async () => {
    let requests = 0;
    const table = TableClient.fromConnectionString(azurite.connectionString, `rt${Date.now()}x${n++}`, {
      allowInsecureConnection: true,
      retryOptions: { maxRetries: 0 },
      additionalPolicies: [
        { position: "perRetry", policy: { name: "count", sendRequest: (req, next) => (requests++, next(req)) } },
      ],
    });
    const store = new TableRunStore({ table });
    await store.append("rt", [started()], 0);
    requests = 0;
    for (let i = 1; i <= 5; i++) await store.append("rt", [stepStarted(i)], i);
    expect(requests).toBe(5);
  });

  it("throws RUN_NOT_FOUND for an unknown run", async () => {
    const { store } = freshStore();
    await expectCode(store.read("nope"), ErrorCode.RunNotFound);
  });

  it("stores events bigger than one property (64 KiB) and rejects one over 1 MiB before sending", async () => {
    const { store } = freshStore();
    await store.append("big", [started()], 0);
    const data = "x".repeat(200_000);
    await store.append("big", [{ type: "step.checkpoint", stepId: "a", attempt: 1, data }], 1);
    const [, ev] = await store.read("big");
    expect(ev?.type === "step.checkpoint" && ev.data).toBe(data);
    await expectCode(
      store.append("big", [{ type: "step.checkpoint", stepId: "a", attempt: 1, data: "y".repeat(600_000) }], 2),
      ErrorCode.Provider,
    );
    expect((await store.read("big")).length).toBe(2);
  });

  it("refuses more events than one transaction can hold", async () => {
    const { store } = freshStore();
    const many = Array.from({ length: 100 }, () => stepStarted());
    await expectCode(store.append("many", [started(), ...many], 0), ErrorCode.Internal);
    await store.append("many", [started(), ...many.slice(0, 98)], 0);
    expect((await store.read("many")).length).toBe(99);
  });

  it("keys with characters Table Storage forbids are escaped", async () => {
    const { store } = freshStore();
    await store.append("a/b#c?d\\e", [started("env/x")], 0);
    expect((await store.read("a/b#c?d\\e"))[0]?.runId).toBe("a/b#c?d\\e");
  });

  it("reads Int64 properties that come back as bigint", async () => {
    const { store, table } = freshStore();
    await store.append("int", [started()], 0);
    const head = await table.getEntity<Record<string, unknown>>(runPartition("int"), HEAD_ROW);
    expect(typeof head.lastSeq).toBe("bigint");
    // A fresh instance (no cache) must read the bigint head to append.
    await new TableRunStore({ table }).append("int", [stepStarted()], 1);
  });

  it("lists runs newest first, filtered by environment, with their last event", async () => {
    let t = Date.parse("2026-01-01T00:00:00Z");
    const { store } = freshStore(() => new Date((t += 1000)));
    await store.append("old", [started("prod")], 0);
    await store.append("mid", [started("test")], 0);
    await store.append("new", [started("prod")], 0);
    await store.append("old", [stepStarted()], 1);
    const runs = await store.listRuns();
    expect(runs.map((r) => r.runId)).toEqual(["new", "mid", "old"]);
    expect(runs[2]).toMatchObject({ playbook: "pb", environment: "prod", lastEvent: "step.started" });
    expect((await store.listRuns({ environment: "prod" })).map((r) => r.runId)).toEqual(["new", "old"]);
    expect((await store.listRuns({ limit: 1 })).map((r) => r.runId)).toEqual(["new"]);
  });
});
