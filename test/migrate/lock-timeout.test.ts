/**
 * Live traffic first (PostgreSQL): session guards are set, and a DDL
 * that cannot get its lock gives way and is retried with backoff.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runMigrations } from "../../src/providers/sql/apply.js";
import { readJournal } from "../../src/providers/sql/journal.js";
import { loadScriptFolder } from "../../src/providers/sql/scripts.js";
import { createPgDb, qexec, removeDir, scoped, testLog, writeFolder, type TestDb } from "./helpers.js";

describe("lock_timeout and retries on PostgreSQL", () => {
  let db: TestDb;
  const dirs: string[] = [];
  beforeAll(async () => {
    db = await createPgDb();
    await qexec(db, "create table hot (id integer primary key); insert into hot values (1);");
  });
  afterAll(async () => {
    await db.drop();
    dirs.forEach(removeDir);
  });

  it(
    "sets lock_timeout / statement_timeout on the session, " +
      "gives way to a lock holder and succeeds once it is gone",
    async () => {
      const dir = writeFolder({
        "0001_guards.expand.sql":
          "create table guards as select current_setting('lock_timeout') as lt, " +
          "current_setting('statement_timeout') as st;",
        "0002_alter.expand.sql": "alter table hot add column note text;",
      });
      dirs.push(dir);
      const client = scoped(db, "lt1", { lockTimeoutMs: 150, statementTimeoutMs: 45_000 });
      // Live traffic: a transaction holding a lock the ALTER needs.
      const traffic = await client.connect("traffic");
      await traffic.query("begin");
      await traffic.query("select * from hot for update");
      const log = testLog();
      const run = runMigrations(client, {
        folder: loadScriptFolder(dir),
        phase: "expand",
        runId: "r1",
        lockRetries: 10,
        lockRetryBaseMs: 100,
        log,
      });
      // Ready-handshake, not a sleep: let the traffic go once the ALTER has given way at least once.
      const retried = /0002_alter\.expand\.sql: lock timeout \(55P03\); retry 1\/10 in \d+ ms/;
      let settled = false;
      void run.finally(() => (settled = true)).catch(() => undefined);
      while (!settled && !retried.test(log.lines.join("\n"))) await new Promise((r) => setTimeout(r, 20));
      await traffic.query("commit");
      await traffic.close();
      const r = await run;
      expect(r.applied.map((a) => a.seq)).toEqual([1, 2]);
      expect(log.lines.join("\n")).toMatch(/0002_alter\.expand\.sql: lock timeout \(55P03\); retry 1\/10 in \d+ ms/);
      const conn = await client.connect("t");
      expect(await conn.query("select lt, st from guards")).toEqual([{ lt: "150ms", st: "45s" }]);
      await conn.close();
    },
  );

  it("fails with SQLSTATE 55P03 in the journal when the lock never comes, and changes nothing", async () => {
    const dir = writeFolder({ "0001_alter.expand.sql": "alter table hot add column other text;" });
    dirs.push(dir);
    const client = scoped(db, "lt2", { lockTimeoutMs: 100, statementTimeoutMs: 10_000 });
    const traffic = await client.connect("traffic");
    await traffic.query("begin");
    await traffic.query("select * from hot for update");
    try {
      const err = (await runMigrations(client, {
        folder: loadScriptFolder(dir),
        phase: "expand",
        runId: "r1",
        lockRetries: 2,
        lockRetryBaseMs: 50,
        log: testLog(),
      }).catch((e: unknown) => e)) as Error;
      expect(err.message).toMatch(
        /0001_alter\.expand\.sql: script 1 \(expand\) failed \[55P03\]: canceling statement due to lock timeout/,
      );
    } finally {
      await traffic.query("rollback");
      await traffic.close();
    }
    const conn = await client.connect("t");
    const j = await readJournal(conn, client.sql);
    const cols = await conn.query(
      "select attname from pg_attribute where attrelid = 'hot'::regclass and attname = 'other'",
    );
    await conn.close();
    expect(j.map((x) => [x.status, x.error?.includes("55P03")])).toEqual([["failed", true]]);
    expect(cols).toEqual([]);
  });
});
