/**
 * A committed Table write whose answer is lost: the SDK retries it and the
 * retry gets 409/412. Reproduced with Azurite behind a proxy that drops one
 * answer; the store must recognise its own write (read back and compare)
 * instead of reporting JOURNAL_CONFLICT or ENV_LOCKED against itself.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TableClient } from "@azure/data-tables";
import { startAzurite, type Azurite } from "./fakes/azurite.js";
import { startDroppingProxy, type DroppingProxy } from "./fakes/dropping-proxy.js";
import { TableRunStore } from "../../src/providers/azure/table-run-store.js";
import type { RunEventBody } from "../../src/engine/events.js";

let azurite: Azurite;
let proxy: DroppingProxy;
let n = 0;

beforeAll(async () => {
  azurite = await startAzurite({ table: true });
  proxy = await startDroppingProxy(azurite.tablePort);
});
afterAll(async () => {
  await proxy?.close();
  await azurite?.stop();
});

function store(): TableRunStore {
  const cs = azurite.connectionString.replace(`:${azurite.tablePort}/`, `:${proxy.port}/`);
  const table = TableClient.fromConnectionString(cs, `lost${Date.now()}x${n++}`, {
    allowInsecureConnection: true,
    retryOptions: { maxRetries: 2, retryDelayInMs: 5, maxRetryDelayInMs: 20 },
  });
  return new TableRunStore({ table });
}

const started: RunEventBody = {
  type: "run.started",
  playbook: { name: "pb", file: "pb.yaml", hash: "h" },
  environment: "prod",
  params: {},
  secretParams: [],
  steps: [{ id: "a", stepId: "a" }],
  by: { user: "u", host: "h", pid: 1 },
  cutoverVersion: "0",
};
const isBatch = (method: string, path: string) => method === "POST" && path.includes("$batch");

describe("a Table write whose answer is lost", () => {
  it("an append (first and later) that committed is recognised as ours, not a JOURNAL_CONFLICT", async () => {
    const s = store();
    proxy.dropNext(isBatch);
    const before = proxy.dropped;
    await s.append("r1", [started], 0);
    proxy.dropNext(isBatch);
    await s.append("r1", [{ type: "step.started", stepId: "a", attempt: 1 }], 1);
    expect(proxy.dropped - before).toBe(2);
    const events = await s.read("r1");
    expect(events.map((e) => [e.seq, e.type])).toEqual([
      [1, "run.started"],
      [2, "step.started"],
    ]);
    // The store goes on appending after it (its cached head was dropped with the answer).
    await s.append("r1", [{ type: "step.started", stepId: "a", attempt: 2 }], 2);
    expect((await s.read("r1")).length).toBe(3);
  });

  it("a lease acquire that committed is ours, not ENV_LOCKED against itself; so is a takeover", async () => {
    const s = store();
    await s.append("r2", [started], 0);
    const req = { environment: "lost-env", holder: "me@host", runId: "r2", ttlMs: 30_000 };
    // A new lease is a createEntity: POST to the table itself.
    proxy.dropNext((m, p) => m === "POST" && !p.includes("$batch") && !p.includes("Tables"));
    const before = proxy.dropped;
    const lease = await s.acquireLease(req);
    expect(proxy.dropped - before).toBe(1);
    expect(lease.token).toBe(1);
    expect((await s.readLease("lost-env"))?.token).toBe(1);
    await s.releaseLease(lease);
    // Re-acquiring a released lease is a conditional Replace: its lost answer makes the retry 412.
    proxy.dropNext((m, p) => m === "PUT" && p.includes("lease"));
    const again = await s.acquireLease(req);
    expect(proxy.dropped - before).toBe(2);
    expect(again.token).toBe(2);
    expect((await s.readLease("lost-env"))?.holder).toBe("me@host");
  });
});
