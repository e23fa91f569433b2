/**
 * The RunStore contract (src/core/run-store.ts), as a reusable vitest suite.
 * Every store implementation runs it:
 *
 *   runStoreContract("file", async () => ({ store, cleanup }));
 *
 * Each test gets a fresh store from `makeStore`, and uses unique run ids and
 * environment names, so a store shared behind the factory works too. Lease
 * expiry is exercised with short real TTLs (no fake clocks: a remote store
 * judges expiry by its own clock).
 */
import { randomBytes } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import type { RunEvent, RunEventBody } from "../src/engine/events.js";
import type { LeaseRequest, RunStore } from "../src/core/run-store.js";
import { ErrorCode, isCutoverError } from "../src/core/errors.js";
import { formatHolder, holderOf } from "../src/core/lease-holder.js";

export interface StoreUnderTest {
  store: RunStore;
  cleanup(): Promise<void>;
}

const by = { user: "tester", host: "test-host", pid: 4242 };

/** The step ids the tests append events for: a journal holds events of planned steps only. */
const NAMED = [
  "deploy",
  "verify",
  "a",
  "b",
  "x",
  "y",
  "z",
  "late",
  "early",
  "b1",
  "b2",
  "b3",
  "stale",
  "fresh",
  "by-other",
  "by-me",
  "s",
  "after",
  "loop",
];
const PLANNED_STEPS = [
  ...NAMED,
  ...Array.from({ length: 8 }, (_, i) => `racer-${i}`),
  ...Array.from({ length: 8 }, (_, i) => `p${i}`),
  ...Array.from({ length: 500 }, (_, i) => `s${i}`),
].map((id) => ({
  id,
  stepId: id,
}));

export function startedEvent(environment: string, playbook = "contract-demo"): RunEventBody {
  return {
    type: "run.started",
    playbook: { name: playbook, file: `${playbook}.yaml`, hash: "sha256:0000" },
    environment,
    params: { version: "v2", replicas: 3, nested: { list: [1, "two", null, true] } },
    secretParams: [],
    steps: PLANNED_STEPS,
    by,
    cutoverVersion: "0.0.0-test",
  };
}

export function stepStarted(stepId: string, attempt = 1): RunEventBody {
  return { type: "step.started", stepId, attempt };
}

export function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(5).toString("hex")}`;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Assert that `promise` rejects with a CutoverError of `code`; returns the error. */
export async function expectCode(
  promise: Promise<unknown>,
  code: string,
): Promise<Error & { code: string; hint?: string }> {
  const e = await promise.then(
    () => undefined,
    (err: unknown) => err,
  );
  if (e === undefined) throw new Error(`expected a ${code} error, but the call succeeded`);
  if (!isCutoverError(e) || e.code !== code)
    throw new Error(`expected a ${code} error, got: ${String(e)}`, { cause: e });
  return e;
}

function request(environment: string, who: string, ttlMs: number): LeaseRequest {
  return { environment, holder: `${who}@test-host pid 1 run ${who}`, runId: who, ttlMs };
}

export function runStoreContract(name: string, makeStore: () => Promise<StoreUnderTest>): void {
  describe(`RunStore contract: ${name}`, () => {
    let current: StoreUnderTest | undefined;
    const open = async () => (current = await makeStore()).store;
    afterEach(async () => {
      await current?.store.close?.();
      await current?.cleanup();
      current = undefined;
    });

    describe("journal", () => {
      it("appends a new run at seq 0 and reads the events back in order with runId, seq and at", async () => {
        const store = await open();
        const runId = uniqueName("run");
        const env = uniqueName("env");
        const first = await store.append(runId, [startedEvent(env)], 0);
        expect(first).toHaveLength(1);
        expect(first[0]).toMatchObject({ runId, seq: 1, type: "run.started", environment: env });
        expect(Number.isNaN(Date.parse(first[0]!.at))).toBe(false);
        const more = await store.append(
          runId,
          [stepStarted("deploy"), stepStarted("deploy", 2), stepStarted("verify")],
          1,
        );
        expect(more.map((e) => e.seq)).toEqual([2, 3, 4]);
        const all = await store.read(runId);
        expect(all.map((e) => [e.seq, e.type])).toEqual([
          [1, "run.started"],
          [2, "step.started"],
          [3, "step.started"],
          [4, "step.started"],
        ]);
        expect(all.slice(1).map((e) => (e as RunEvent & { attempt: number }).attempt)).toEqual([1, 2, 1]);
        expect(all[0]).toEqual(first[0]); // what append returned is what is stored
        expect((all[0] as Extract<RunEvent, { type: "run.started" }>).params).toEqual({
          version: "v2",
          replicas: 3,
          nested: { list: [1, "two", null, true] },
        });
      });

      it("reads after a given seq", async () => {
        const store = await open();
        const runId = uniqueName("run");
        await store.append(runId, [startedEvent("e1"), stepStarted("a"), stepStarted("b")], 0);
        expect((await store.read(runId, 1)).map((e) => e.seq)).toEqual([2, 3]);
        expect(await store.read(runId, 3)).toEqual([]);
      });

      it("throws RUN_NOT_FOUND for an unknown run", async () => {
        const store = await open();
        await expectCode(store.read(uniqueName("nope")), ErrorCode.RunNotFound);
      });

      it("refuses an append at the wrong seq with JOURNAL_CONFLICT and writes nothing", async () => {
        const store = await open();
        const runId = uniqueName("run");
        await store.append(runId, [startedEvent("e1"), stepStarted("a")], 0);
        await expectCode(store.append(runId, [stepStarted("late")], 1), ErrorCode.JournalConflict);
        await expectCode(store.append(runId, [stepStarted("early")], 5), ErrorCode.JournalConflict);
        await expectCode(store.append(runId, [startedEvent("e1")], 0), ErrorCode.JournalConflict);
        await expectCode(store.append(uniqueName("fresh"), [stepStarted("x")], 3), ErrorCode.JournalConflict);
        await expectCode(
          store.append(runId, [stepStarted("b1"), stepStarted("b2"), stepStarted("b3")], 1),
          ErrorCode.JournalConflict,
        );
        expect((await store.read(runId)).map((e) => e.seq)).toEqual([1, 2]);
        expect((await store.append(runId, [stepStarted("b")], 2))[0]?.seq).toBe(3);
      });

      it("lets exactly one of several racing appenders win each seq", async () => {
        const store = await open();
        const runId = uniqueName("run");
        await store.append(runId, [startedEvent("e1")], 0);
        for (let seq = 1; seq <= 5; seq++) {
          const results = await Promise.allSettled(
            Array.from({ length: 4 }, (_, i) => store.append(runId, [stepStarted(`racer-${i}`)], seq)),
          );
          expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
          for (const r of results) {
            if (r.status === "rejected") expect(isCutoverError(r.reason, ErrorCode.JournalConflict)).toBe(true);
          }
        }
        const events = await store.read(runId);
        expect(events.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6]);
      });

      it("refuses a fenced append after the lease was forced away, and accepts the new holder's", async () => {
        const store = await open();
        const env = uniqueName("env");
        const runId = uniqueName("run");
        const old = await store.acquireLease(request(env, "old", 60_000));
        await store.append(runId, [startedEvent(env)], 0, { environment: env, token: old.token });
        const { lease: taken, previous } = await store.forceLease(request(env, "new", 60_000));
        expect(previous?.token).toBe(old.token);
        expect(taken.token).toBeGreaterThan(old.token);
        await expectCode(
          store.append(runId, [stepStarted("stale")], 1, { environment: env, token: old.token }),
          ErrorCode.LeaseLost,
        );
        expect(await store.read(runId)).toHaveLength(1);
        await store.append(runId, [stepStarted("fresh")], 1, { environment: env, token: taken.token });
        expect(await store.read(runId)).toHaveLength(2);
      });

      it("refuses a fenced append once the lease was released", async () => {
        const store = await open();
        const env = uniqueName("env");
        const runId = uniqueName("run");
        const lease = await store.acquireLease(request(env, "a", 60_000));
        await store.releaseLease(lease);
        await expectCode(
          store.append(runId, [startedEvent(env)], 0, { environment: env, token: lease.token }),
          ErrorCode.LeaseLost,
        );
        await expectCode(store.read(runId), ErrorCode.RunNotFound);
      });
    });

    describe("leases", () => {
      it(
        "keeps the holder as data through acquire, renew, force " +
          "and read; a holder given only as text is read back",
        async () => {
          const store = await open();
          const env = uniqueName("env");
          const by = { user: "alice", host: "ci-7", pid: 4242, runId: "r-alice" };
          const lease = await store.acquireLease({
            environment: env,
            holder: formatHolder(by),
            by,
            runId: by.runId,
            ttlMs: 60_000,
          });
          expect(lease.by).toEqual(by);
          expect((await store.readLease(env))?.by).toEqual(by);
          expect((await store.renewLease(lease, 60_000)).by).toEqual(by);
          expect((await store.readLease(env))?.by).toEqual(by);
          // As an older cutover wrote it: text only. Nothing structured is invented, and the one parser reads the text.
          const { lease: old } = await store.forceLease({
            environment: env,
            holder: "bob@ci-8 pid 77 run r-bob",
            runId: "r-bob",
            ttlMs: 60_000,
          });
          const read = await store.readLease(env);
          expect(read?.by).toBeUndefined();
          expect(holderOf(read!)).toEqual({ user: "bob", host: "ci-8", pid: 77, runId: "r-bob" });
          expect(old.by).toBeUndefined();
        },
      );

      it("acquires a free lease and refuses a second holder with ENV_LOCKED naming the first", async () => {
        const store = await open();
        const env = uniqueName("env");
        const lease = await store.acquireLease(request(env, "alice", 60_000));
        expect(lease).toMatchObject({ environment: env, runId: "alice" });
        expect(lease.holder).toContain("alice");
        expect(Date.parse(lease.expiresAt) - Date.parse(lease.acquiredAt)).toBe(60_000);
        const e = await expectCode(store.acquireLease(request(env, "bob", 60_000)), ErrorCode.Locked);
        expect(e.message).toContain(lease.holder);
        expect(e.message).toContain(lease.expiresAt);
        expect(e.hint).toMatch(/cutover unlock\b.*--force/);
        // The same run asking again while its lease is live is locked out too.
        await expectCode(store.acquireLease(request(env, "alice", 60_000)), ErrorCode.Locked);
        expect((await store.readLease(env))?.token).toBe(lease.token);
      });

      it("lets a new holder take an expired lease with a larger token; the old holder's renew then fails", async () => {
        const store = await open();
        const env = uniqueName("env");
        const first = await store.acquireLease(request(env, "first", 150));
        await sleep(250);
        const expired = await store.readLease(env);
        expect(expired?.token).toBe(first.token); // an expired lease is still reported
        const second = await store.acquireLease(request(env, "second", 60_000));
        expect(second.token).toBeGreaterThan(first.token);
        await expectCode(store.renewLease(first, 60_000), ErrorCode.LeaseLost);
        await expectCode(
          store.append(uniqueName("run"), [startedEvent(env)], 0, { environment: env, token: first.token }),
          ErrorCode.LeaseLost,
        );
      });

      it("renews our lease, keeping its token and pushing its expiry", async () => {
        const store = await open();
        const env = uniqueName("env");
        const lease = await store.acquireLease(request(env, "a", 200));
        await sleep(20);
        const renewed = await store.renewLease(lease, 60_000);
        expect(renewed.token).toBe(lease.token);
        expect(Date.parse(renewed.expiresAt)).toBeGreaterThan(Date.parse(lease.expiresAt));
        await sleep(250); // past the original expiry: still held thanks to the renewal
        await expectCode(store.acquireLease(request(env, "b", 60_000)), ErrorCode.Locked);
      });

      it("releases only its own lease and never throws for one already gone", async () => {
        const store = await open();
        const env = uniqueName("env");
        const a = await store.acquireLease(request(env, "a", 60_000));
        await store.releaseLease(a);
        expect(await store.readLease(env)).toBeUndefined();
        await store.releaseLease(a); // already gone
        const b = await store.acquireLease(request(env, "b", 60_000));
        expect(b.token).toBeGreaterThan(a.token); // tokens keep growing across release
        await store.releaseLease(a); // stale: must not free b's lease
        expect((await store.readLease(env))?.token).toBe(b.token);
        await expectCode(store.renewLease(a, 1_000), ErrorCode.LeaseLost);
      });

      it("forces a live lease, returning the previous one, and works on a free environment", async () => {
        const store = await open();
        const env = uniqueName("env");
        const free = await store.forceLease(request(env, "breaker", 60_000));
        expect(free.previous).toBeUndefined();
        const held = await store.forceLease(request(env, "second", 60_000));
        expect(held.previous).toMatchObject({ token: free.lease.token, holder: free.lease.holder });
        expect(held.lease.token).toBeGreaterThan(free.lease.token);
        expect((await store.readLease(env))?.holder).toBe(held.lease.holder);
        await expectCode(store.renewLease(free.lease, 1_000), ErrorCode.LeaseLost);
      });

      it("keeps environments independent", async () => {
        const store = await open();
        const e1 = uniqueName("env");
        const e2 = uniqueName("env");
        await store.acquireLease(request(e1, "a", 60_000));
        const other = await store.acquireLease(request(e2, "b", 60_000));
        expect(other.environment).toBe(e2);
        expect(await store.readLease(uniqueName("env"))).toBeUndefined();
      });
    });

    describe("listRuns", () => {
      it("lists runs newest first with playbook, environment and last event; filters and limits", async () => {
        const store = await open();
        const envA = uniqueName("env");
        const envB = uniqueName("env");
        const ids: string[] = [];
        for (const [i, env] of [envA, envB, envA].entries()) {
          const runId = uniqueName(`run${i}`);
          ids.push(runId);
          await store.append(runId, [startedEvent(env, `book-${i}`)], 0);
          await sleep(15);
        }
        await store.append(ids[0]!, [stepStarted("deploy")], 1);
        const all = (await store.listRuns()).filter((r) => ids.includes(r.runId));
        expect(all.map((r) => r.runId)).toEqual([ids[2], ids[1], ids[0]]);
        const oldest = all[2]!;
        expect(oldest).toMatchObject({ playbook: "book-0", environment: envA, lastEvent: "step.started" });
        expect(Date.parse(oldest.updatedAt)).toBeGreaterThanOrEqual(Date.parse(oldest.startedAt));
        expect(all[0]).toMatchObject({ playbook: "book-2", lastEvent: "run.started" });
        expect((await store.listRuns({ environment: envA })).map((r) => r.runId)).toEqual([ids[2], ids[0]]);
        expect((await store.listRuns({ environment: envB })).map((r) => r.runId)).toEqual([ids[1]]);
        expect((await store.listRuns({ environment: envA, limit: 1 })).map((r) => r.runId)).toEqual([ids[2]]);
      });
    });
  });
}
