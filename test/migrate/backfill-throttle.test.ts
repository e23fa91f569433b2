/**
 * A throttled backfill waits between batches on the step's one AbortSignal. Each wait used to add an
 * abort listener that outlived it, so a long backfill leaked one per batch and Node warned
 * (MaxListenersExceededWarning) after the eleventh (issue 11, defect 8).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { runBackfill } from "../../src/providers/sql/backfill.js";
import { DBS, q, qexec, scoped, testLog, type TestDb } from "./helpers.js";

const ROWS = 200;
const BATCH = 5; // 40 batches, each followed by a pause

describe.each(DBS)("a throttled backfill on %s", (_name, create) => {
  let db: TestDb;
  const warnings: Error[] = [];
  const onWarning = (w: Error) => warnings.push(w);
  beforeAll(async () => {
    db = await create();
    process.on("warning", onWarning);
  });
  afterAll(async () => {
    process.off("warning", onWarning);
    await db.drop();
  });
  afterEach(() => warnings.splice(0));

  it("waits between its batches without leaving an abort listener behind on the step's signal", async () => {
    await qexec(db, "create table th_users (id integer primary key, email text, email_lower text)");
    await qexec(
      db,
      `insert into th_users (id, email) with recursive n(i) as (select 1 union all select i + 1 from n where i < ` +
        `${ROWS}) select i, 'U' || i from n`,
    );
    const step = new AbortController();
    const out = await runBackfill(scoped(db, "th1"), {
      name: "lower",
      table: "th_users",
      key: "id",
      set: "email_lower = lower(email)",
      where: "email_lower is null",
      batchSize: BATCH,
      maxBatchSize: BATCH,
      targetBatchMs: 0,
      sleepMs: 1,
      runId: "r-throttle",
      log: testLog(),
      signal: step.signal,
    });
    expect(out).toMatchObject({ rowsDone: ROWS, batches: ROWS / BATCH });
    expect(Number((await q(db, "select count(*) as n from th_users where email_lower is null"))[0]?.n)).toBe(0);
    // Warnings are emitted on the next tick: let them arrive before looking.
    await new Promise((r) => setImmediate(r));
    expect(warnings.map((w) => `${w.name}: ${w.message}`)).toEqual([]);
  });
});
