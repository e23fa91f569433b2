/** The migration lease: racing runners, stale fencing tokens, killed and paused holders (real child processes). */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isCutoverError } from "../../src/core/errors.js";
import { runMigrations } from "../../src/providers/sql/apply.js";
import { readJournal } from "../../src/providers/sql/journal.js";
import { advisoryKey, assertFence, MigrationLease, readLease } from "../../src/providers/sql/lease.js";
import { loadScriptFolder } from "../../src/providers/sql/scripts.js";
import { resolveScript } from "../../src/providers/sql/admin.js";
import { ChildEngine } from "./child.js";
import { createPgDb, DBS, q, scoped, tempFolders, testLog, type TestDb } from "./helpers.js";

/** A statement that keeps a runner busy for a while, in each dialect. */
const slow = (dialect: string, seconds: number) =>
  dialect === "postgres"
    ? `select pg_sleep(${seconds});`
    : `with recursive c(x) as (select 1 union all select x + 1 from c where x < ${seconds * 4_000_000}) select ` +
      `count(*) from c;`;

describe.each(DBS)("migration lease on %s", (_name, create) => {
  let db: TestDb;
  let engine: ChildEngine;
  beforeAll(async () => {
    db = await create();
    engine = new ChildEngine();
  });
  afterAll(async () => {
    engine.cleanup();
    await db.drop();
  });
  const folder = tempFolders();
  const journal = async (scope: string) => {
    const c = scoped(db, scope);
    const conn = await c.connect("t");
    try {
      return await readJournal(conn, c.sql);
    } finally {
      await conn.close();
    }
  };

  it(
    "two racing runner processes: one fails fast with " + "ENV_LOCKED, never both run; waiting ones serialise",
    async () => {
      const dir = folder({
        "0001_t.expand.sql": "create table race (id integer);",
        "0002_slow.expand.sql": `insert into race values (1);\n${slow(db.dialect, 30)}`,
      });
      const job = {
        kind: "migrate",
        dialect: db.dialect,
        location: db.location,
        dir,
        phase: "expand",
        leaseTtlMs: 10_000,
      };
      // B starts while A holds the lease (A is inside its slow script): B must fail fast, naming A, and change nothing.
      const a = engine.spawn({ ...job, scope: "l1", runId: "a", leaseWaitMs: 0 });
      await a.waitFor("progress 0002_slow");
      const b = engine.spawn({ ...job, scope: "l1", runId: "b", leaseWaitMs: 0 });
      expect(await b.exited).toBe(1);
      expect(b.stdout()).toMatch(/error ENV_LOCKED .*held by .+ \(run a\)/);
      expect(b.stdout()).not.toMatch(/progress 0001/);
      a.proc.kill("SIGKILL");
      await a.exited;
      expect((await journal("l1")).map((x) => [x.seq, x.status, x.runId])).toEqual([[1, "succeeded", "a"]]);

      // Two started together and both willing to wait: they serialise, the second finds nothing to do.
      const dir2 = folder({
        "0001_t.expand.sql": "create table race2 (id integer);",
        "0002_slow.expand.sql": `insert into race2 values (1);\n${slow(db.dialect, 1)}`,
      });
      const waiters = [
        engine.spawn({ ...job, dir: dir2, scope: "l1b", runId: "c", leaseWaitMs: 20_000 }),
        engine.spawn({ ...job, dir: dir2, scope: "l1b", runId: "d", leaseWaitMs: 20_000 }),
      ];
      expect(await Promise.all(waiters.map((c) => c.exited))).toEqual([0, 0]);
      const applied = waiters.map(
        (c) => (JSON.parse(/done (.*)/.exec(c.stdout())?.[1] ?? "{}") as { applied: unknown[] }).applied.length,
      );
      expect(applied.sort()).toEqual([0, 2]);
      expect(Number((await q(db, "select count(*) as n from race2"))[0]?.n)).toBe(1);
    },
  );

  it("refuses a stale fencing token after the lease was taken over", async () => {
    const client = scoped(db, "l2");
    const connA = await client.connect("a");
    const connB = await client.connect("b");
    try {
      const a = await MigrationLease.acquire(client, connA, { runId: "a", ttlMs: 60_000, waitMs: 0 });
      const lockedOut = await MigrationLease.acquire(client, connB, { runId: "b", ttlMs: 60_000, waitMs: 0 }).catch(
        (e: unknown) => e,
      );
      expect(isCutoverError(lockedOut, "ENV_LOCKED")).toBe(true);
      // Break-glass takeover: the token grows, so A's writes must now be refused.
      const b = await MigrationLease.acquire(client, connB, { runId: "b", ttlMs: 60_000, waitMs: 0, force: true });
      expect(b.token).toBeGreaterThan(a.token);
      const stale = await connA.transaction(() => assertFence(connA, client, a.token)).catch((e: unknown) => e);
      expect(isCutoverError(stale, "LEASE_LOST")).toBe(true);
      await connB.transaction(() => assertFence(connB, client, b.token));
      await a.beat(true);
      expect(a.isLost).toBe(true);
      await b.release();
      await a.release();
    } finally {
      await connA.close();
      await connB.close();
    }
  });

  it("takes over the lease of a SIGKILLed runner; its transactional script is re-run exactly once", async () => {
    const dir = folder({
      "0001_k.migrate.sql":
        `create table killed (id integer);\ninsert into ` + `killed values (1);\n${slow(db.dialect, 20)}`,
    });
    const child = engine.spawn({
      kind: "migrate",
      dialect: db.dialect,
      location: db.location,
      scope: "l3",
      dir,
      phase: "migrate",
      runId: "r-child",
      leaseTtlMs: 1500,
    });
    await waitForHolder(db, "l3", "r-child");
    await new Promise((r) => setTimeout(r, 200)); // let it get into the script
    child.proc.kill("SIGKILL");
    await child.exited;
    // The fast slow-script must not run for 20 s again: swap in a quick
    // body? No: the file is the journal's truth. Use a short one.
    const quick = folder({ "0001_k.migrate.sql": "create table killed (id integer);\ninsert into killed values (1);" });
    const r = await runMigrations(scoped(db, "l3"), {
      folder: loadScriptFolder(quick),
      phase: "migrate",
      runId: "r2",
      leaseWaitMs: 15_000,
      log: testLog(),
    });
    expect(r.applied.map((a) => a.seq)).toEqual([1]);
    expect(Number((await q(db, "select count(*) as n from killed"))[0]?.n)).toBe(1);
    const j = await journal("l3");
    expect(j.map((x) => [x.seq, x.status, x.runId])).toEqual([[1, "succeeded", "r2"]]);
  });
});

async function waitForHolder(db: TestDb, scope: string, runId: string): Promise<void> {
  const client = scoped(db, scope);
  for (let i = 0; i < 400; i++) {
    const conn = await client.connect("poll");
    try {
      const l = await readLease(conn, client).catch(() => undefined);
      if (l?.runId === runId && l.holder) return;
    } finally {
      await conn.close();
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`${runId} never took the lease`);
}

describe("PostgreSQL-only lease and non-transactional cases", () => {
  let db: TestDb;
  let engine: ChildEngine;
  beforeAll(async () => {
    db = await DBS[0][1]();
    engine = new ChildEngine();
  });
  afterAll(async () => {
    engine.cleanup();
    await db.drop();
  });
  const folder = tempFolders();

  it("a paused (SIGSTOPped) holder whose lease expired cannot commit its script or journal row", async () => {
    const dir = folder({
      "0001_p.migrate.sql":
        `create table paused_t (id integer);\nselect ` + `pg_sleep(1.5);\ninsert into paused_t values (1);`,
    });
    const child = engine.spawn({
      kind: "migrate",
      dialect: "postgres",
      location: db.location,
      scope: "p1",
      dir,
      phase: "migrate",
      runId: "r-paused",
      leaseTtlMs: 600,
    });
    await waitForHolder(db, "p1", "r-paused");
    await new Promise((r) => setTimeout(r, 100));
    child.proc.kill("SIGSTOP");
    // Its lease expires (no heartbeat while stopped); take it over, then let the old holder continue.
    const client = scoped(db, "p1");
    const conn = await client.connect("new-holder");
    const lease = await MigrationLease.acquire(client, conn, { runId: "r-new", ttlMs: 60_000, waitMs: 10_000 });
    child.proc.kill("SIGCONT");
    await child.exited;
    expect(child.stdout()).toMatch(/error LEASE_LOST/);
    await lease.release();
    await conn.close();
    await expect(q(db, "select * from paused_t")).rejects.toThrow(/paused_t/);
    const c2 = await client.connect("t");
    const j = await readJournal(c2, client.sql);
    await c2.close();
    expect(j.filter((x) => x.status === "succeeded")).toEqual([]);
  });

  it("reports a killed non-transactional script as dirty until an audited resolve", async () => {
    const dir = folder({
      "0001_nt.migrate.sql": "-- cutover:no-transaction\nselect pg_sleep(20)",
      "0002_after.migrate.sql": "create table after_dirty (id integer);",
    });
    const child = engine.spawn({
      kind: "migrate",
      dialect: "postgres",
      location: db.location,
      scope: "p2",
      dir,
      phase: "migrate",
      runId: "r-nt",
      leaseTtlMs: 1000,
    });
    await child.waitFor("progress 0001_nt");
    await new Promise((r) => setTimeout(r, 200));
    child.proc.kill("SIGKILL");
    await child.exited;
    const client = scoped(db, "p2");
    const opts = {
      folder: loadScriptFolder(dir),
      phase: "migrate" as const,
      runId: "r2",
      leaseWaitMs: 10_000,
      log: testLog(),
    };
    const err = (await runMigrations(client, opts).catch((e: unknown) => e)) as Error;
    expect(err.message).toMatch(/0001_nt\.migrate\.sql: script 1 is dirty/);
    expect(err.message).toContain("cutover migrate resolve 1");
    await expect(
      resolveScript(client, { folder: opts.folder, seq: 1, mark: "succeeded", reason: "", by: "ops" }),
    ).rejects.toThrow(/reason/);
    const row = await resolveScript(client, {
      folder: opts.folder,
      seq: 1,
      mark: "succeeded",
      reason: "sleep has no effect",
      by: "ops",
    });
    expect(row.status).toBe("marked_succeeded");
    expect(row.note).toMatch(/ops: sleep has no effect/);
    const r = await runMigrations(client, opts);
    expect(r.applied.map((a) => a.seq)).toEqual([2]);
  });

  it("drops a leftover INVALID index of a failed CREATE INDEX CONCURRENTLY and rebuilds it on retry", async () => {
    const client = scoped(db, "p3");
    const setup = await client.connect("t");
    await setup.exec("create table dup (v integer); insert into dup values (1), (1), (2);");
    const dir = folder({
      "0001_idx.expand.sql": "-- cutover:no-transaction\ncreate unique index concurrently dup_v on dup (v)",
    });
    const opts = { folder: loadScriptFolder(dir), phase: "expand" as const, runId: "r1", log: testLog() };
    const err = (await runMigrations(client, opts).catch((e: unknown) => e)) as Error;
    expect(err.message).toMatch(/0001_idx\.expand\.sql.*\[23505\]/);
    expect(await client.ops.indexState(setup, "dup_v")).toBe("invalid");
    await setup.exec("delete from dup where v = 1; insert into dup values (1);");
    const log = testLog();
    const r = await runMigrations(client, { ...opts, log });
    expect(r.applied.map((a) => a.seq)).toEqual([1]);
    expect(log.lines.join("\n")).toMatch(/dropping leftover INVALID index dup_v/);
    expect(await client.ops.indexState(setup, "dup_v")).toBe("valid");
    await setup.close();
  });
});

// The advisory lock is PostgreSQL's; SQLite runners on one machine check the holder's process instead.
describe("migration lease on postgres: the advisory lock", () => {
  let db: TestDb;
  beforeAll(async () => {
    db = await createPgDb();
  });
  afterAll(async () => {
    await db.drop();
  });

  it("takes a free lease only with the advisory lock, so a holder can never be mistaken for a dead one", async () => {
    const client = scoped(db, "l1c");
    const [other, connC, connE] = [await client.connect("other"), await client.connect("c"), await client.connect("e")];
    try {
      // Another runner is between pg_try_advisory_lock and taking the row: the row is free, its lock is not.
      await MigrationLease.acquire(client, connC, { runId: "warm-up", ttlMs: 60_000, waitMs: 0 }).then((l) =>
        l.release(),
      );
      await other.query("select pg_advisory_lock($1::bigint)", [advisoryKey(client.journalScope)]);
      const refused = await MigrationLease.acquire(client, connC, { runId: "c", ttlMs: 60_000, waitMs: 0 }).catch(
        (e: unknown) => e,
      );
      expect(isCutoverError(refused, "ENV_LOCKED")).toBe(true);
      // Once the lock is free the waiting runner takes both; a third runner then finds the holder alive.
      setTimeout(
        () => void other.query("select pg_advisory_unlock($1::bigint)", [advisoryKey(client.journalScope)]),
        300,
      );
      const c = await MigrationLease.acquire(client, connC, { runId: "c", ttlMs: 60_000, waitMs: 10_000 });
      const third = await MigrationLease.acquire(client, connE, { runId: "e", ttlMs: 60_000, waitMs: 0 }).catch(
        (e: unknown) => e,
      );
      expect(isCutoverError(third, "ENV_LOCKED")).toBe(true);
      expect((await readLease(connE, client))?.runId).toBe("c");
      await c.release();
    } finally {
      for (const conn of [other, connC, connE]) await conn.close();
    }
  });
});
