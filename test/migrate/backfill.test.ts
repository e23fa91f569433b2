/** migrate.backfill: batches, idempotent re-run, and a real SIGKILL mid-backfill resumed with no duplicate row. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { migrateBackfill } from "../../src/actions/migrate-backfill.js";
import { runBackfill } from "../../src/providers/sql/backfill.js";
import { ChildEngine } from "./child.js";
import { sqlContext } from "../support/context.js";
import { DBS, q, qexec, scoped, testLog, type TestDb } from "./helpers.js";

const ROWS = 3000;

async function seed(db: TestDb, src: string, dst?: string): Promise<void> {
  await qexec(db, `create table ${src} (id integer primary key, email text, email_lower text)`);
  // Generate rows portably: a recursive CTE works in both PostgreSQL and SQLite.
  await qexec(
    db,
    `insert into ${src} (id, email) with recursive n(i) as (select 1 union all select i + 1 from n where i < ` +
      `${ROWS}) select i, 'User' || i || '@Example.COM' from n`,
  );
  // No unique constraint on purpose: a batch applied twice would show up as duplicate rows.
  if (dst) await qexec(db, `create table ${dst} (id integer, email text)`);
}

describe.each(DBS)("migrate.backfill on %s", (_name, create) => {
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

  it("updates every row in batches with progress, and a completed backfill is not re-run", async () => {
    await seed(db, "bf_users");
    const client = scoped(db, "b1");
    const ctx = sqlContext(client);
    const input = migrateBackfill.with.parse({
      table: "bf_users",
      key: "id",
      set: "email_lower = lower(email)",
      where: "email_lower is null",
      batchSize: 500,
      targetBatch: 0,
    });
    const out = await migrateBackfill.run(input, ctx);
    expect(out.outputs).toMatchObject({ rowsDone: ROWS, rowsTotal: ROWS, batches: ROWS / 500, alreadyDone: false });
    const bad = await q(
      db,
      "select count(*) as n from bf_users where email_lower is null or email_lower <> lower(email)",
    );
    expect(Number(bad[0]?.n)).toBe(0);
    expect(ctx.log.lines.some((l) => /progress: bf_users: 3000\/3000 rows, \d+ rows\/s, ETA/.test(l))).toBe(true);
    expect(ctx.checkpoints.length).toBeGreaterThan(0);
    const again = await migrateBackfill.run(input, sqlContext(client));
    expect(again.outputs).toMatchObject({ alreadyDone: true, batches: 0 });
  });

  it("stops when paused (abort signal) and resumes after the last committed batch", async () => {
    await seed(db, "bf_pause", "bf_pause_dst");
    const client = scoped(db, "b2");
    const ac = new AbortController();
    const log = testLog();
    const opts = {
      name: "copy",
      table: "bf_pause",
      key: "id",
      statement: "insert into bf_pause_dst (id, email) select id, email from bf_pause where id between $1 and $2",
      batchSize: 100,
      maxBatchSize: 100,
      targetBatchMs: 0,
      sleepMs: 5,
      runId: "r1",
      log,
      checkpoint: async (d: { rowsDone: number }) => {
        if (d.rowsDone >= 100) ac.abort();
      },
    };
    const err = await runBackfill(client, { ...opts, signal: ac.signal }).catch((e: unknown) => e);
    expect((err as { code?: string }).code).toBe("CANCELLED");
    const mid = Number((await q(db, "select count(*) as n from bf_pause_dst"))[0]?.n);
    expect(mid).toBeGreaterThanOrEqual(100);
    expect(mid).toBeLessThan(ROWS);
    const r = await runBackfill(client, { ...opts, checkpoint: undefined });
    expect(r.resumedFrom).not.toBeNull();
    const counts = await q(db, "select count(*) as n, count(distinct id) as d from bf_pause_dst");
    expect(Number(counts[0]?.n)).toBe(ROWS);
    expect(Number(counts[0]?.d)).toBe(ROWS);
  });

  it("resumes a backfill SIGKILLed mid-way in a real child process without a duplicate row", async () => {
    await seed(db, "bf_src", "bf_dst");
    const backfill = {
      name: "copy-users",
      table: "bf_src",
      key: "id",
      statement: "insert into bf_dst (id, email) select id, email from bf_src where id between $1 and $2",
      batchSize: 50,
      maxBatchSize: 50,
      targetBatchMs: 0,
      sleepMs: 10,
    };
    const child = engine.spawn({
      kind: "backfill",
      dialect: db.dialect,
      location: db.location,
      scope: "b3",
      runId: "r-child",
      leaseTtlMs: 1000,
      backfill,
    });
    // Wait until some batches committed, then kill without warning.
    for (let i = 0; i < 400; i++) {
      const n = Number((await q(db, "select count(*) as n from bf_dst"))[0]?.n);
      if (n >= 500) break;
      await new Promise((r) => setTimeout(r, 25));
    }
    child.proc.kill("SIGKILL");
    expect(await child.exited).toBe("SIGKILL");
    const atKill = Number((await q(db, "select count(*) as n from bf_dst"))[0]?.n);
    expect(atKill).toBeGreaterThan(0);
    expect(atKill).toBeLessThan(ROWS);
    // The killed runner's lease is taken over (PG: its session is gone; SQLite: after the TTL).
    const r = await runBackfill(scoped(db, "b3"), {
      ...backfill,
      sleepMs: 0,
      runId: "r-resume",
      leaseWaitMs: 10_000,
      log: testLog(),
    });
    expect(r.resumedFrom).not.toBeNull();
    expect(r.rowsDone).toBe(ROWS);
    const counts = await q(
      db,
      "select count(*) as n, count(distinct id) as d, min(id) as lo, max(id) as hi from bf_dst",
    );
    expect(counts[0]).toMatchObject({});
    expect([Number(counts[0]?.n), Number(counts[0]?.d), Number(counts[0]?.lo), Number(counts[0]?.hi)]).toEqual([
      ROWS,
      ROWS,
      1,
      ROWS,
    ]);
  });
});
