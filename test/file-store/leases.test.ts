import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ErrorCode } from "../../src/core/errors.js";
import { FileStore } from "../../src/providers/file/index.js";
import { expectCode, startedEvent } from "../store-contract.js";
import { tempStore } from "./helpers.js";

let store: FileStore;
let cleanup: () => Promise<void>;
let now: number;

beforeEach(async () => {
  now = Date.parse("2026-11-21T10:00:00.000Z");
  ({ store, cleanup } = await tempStore({ clock: () => new Date(now) }));
});
afterEach(async () => {
  await cleanup();
});

const req = (holder: string, ttlMs = 30_000) => ({ environment: "prod", holder, runId: holder, ttlMs });
const leaseFile = () => path.join(store.dir, "leases", "prod.json");

describe("file leases", () => {
  it("judges expiry by the store's clock", async () => {
    const a = await store.acquireLease(req("a"));
    expect(a.expiresAt).toBe("2026-11-21T10:00:30.000Z");
    now += 29_999;
    const e = await expectCode(store.acquireLease(req("b")), ErrorCode.Locked);
    expect(e.message).toContain("until 2026-11-21T10:00:30.000Z");
    now += 1;
    const b = await store.acquireLease(req("b"));
    expect(b.token).toBe(a.token + 1);
  });

  it("renews a lease that expired but was not taken", async () => {
    const a = await store.acquireLease(req("a"));
    now += 60_000;
    const renewed = await store.renewLease(a, 30_000);
    expect(renewed.token).toBe(a.token);
    expect(renewed.expiresAt).toBe("2026-11-21T10:01:30.000Z");
  });

  it("keeps the last token in a tombstone after release", async () => {
    const a = await store.acquireLease(req("a"));
    await store.releaseLease(a);
    const content = JSON.parse(await readFile(leaseFile(), "utf8")) as { lastToken: number; lease: unknown };
    expect(content).toMatchObject({ lastToken: a.token, lease: null });
    expect((await store.acquireLease(req("b"))).token).toBe(a.token + 1);
  });

  it("reports a damaged lease file as JOURNAL_CORRUPT, and force recovers with a token above any before", async () => {
    const a = await store.acquireLease(req("a"));
    await writeFile(leaseFile(), "{ torn");
    const e = await expectCode(store.acquireLease(req("b")), ErrorCode.JournalCorrupt);
    expect(e.message).toContain(leaseFile());
    await expectCode(store.readLease("prod"), ErrorCode.JournalCorrupt);
    const { lease, previous } = await store.forceLease(req("breaker"));
    expect(previous).toBeUndefined();
    expect(lease.token).toBeGreaterThan(a.token);
    await expectCode(
      store.append("r1", [startedEvent("prod")], 0, { environment: "prod", token: a.token }),
      ErrorCode.LeaseLost,
    );
    await store.append("r1", [startedEvent("prod")], 0, { environment: "prod", token: lease.token });
  });

  it("rejects a non-positive ttl", async () => {
    await expectCode(store.acquireLease(req("a", 0)), ErrorCode.Config);
    await expectCode(store.forceLease(req("a", Number.NaN)), ErrorCode.Config);
  });
});

describe("journal I/O errors", () => {
  it("reports a journal that cannot be written as a retryable PROVIDER_ERROR naming the file", async () => {
    await store.append("ok", [startedEvent("prod")], 0);
    const file = store.journalFile("blocked");
    await mkdir(file); // a directory where the journal should be
    const e = await expectCode(store.append("blocked", [startedEvent("prod")], 0), ErrorCode.Provider);
    expect(e.message).toContain(file);
    expect((e as unknown as { retryable: boolean }).retryable).toBe(true);
  });
});
