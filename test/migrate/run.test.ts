/** migrate.run against real PostgreSQL and SQLite: order, journal, failure + resume, drift, checks, preservation. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isCutoverError } from "../../src/core/errors.js";
import { runMigrations } from "../../src/providers/sql/apply.js";
import { readJournal } from "../../src/providers/sql/journal.js";
import { loadScriptFolder } from "../../src/providers/sql/scripts.js";
import { acceptDrift } from "../../src/providers/sql/admin.js";
import { DBS, q, qexec, scoped, tempFolders, testLog, type TestDb } from "./helpers.js";
import { rewriteFile } from "./files.js";

describe.each(DBS)("migrate.run on %s", (_name, create) => {
  let db: TestDb;
  beforeAll(async () => {
    db = await create();
  });
  afterAll(() => db.drop());
  const folder = tempFolders();
  const journal = async () => {
    const conn = await db.client().connect("t");
    try {
      return await readJournal(conn, db.client().sql);
    } finally {
      await conn.close();
    }
  };
  const run = (dir: string, extra: Partial<Parameters<typeof runMigrations>[1]> = {}) =>
    runMigrations(db.client(), {
      folder: loadScriptFolder(dir),
      phase: "expand",
      runId: "r1",
      log: testLog(),
      ...extra,
    });

  it("orders by number, not name, journals each script, and skips applied ones on re-run", async () => {
    const files: Record<string, string> = { "checks/.keep": "" };
    // 9 must run before 10: a lexicographic sort would create t10 first and fail on the missing table.
    for (let i = 1; i <= 10; i++) {
      files[`${i}_step.expand.sql`] = i === 1 ? "create table ord (n integer);" : `insert into ord (n) values (${i});`;
    }
    const dir = folder(files);
    const r = await run(dir);
    expect(r.applied.map((a) => a.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    const rows = await q(db, "select n from ord order by n");
    expect(rows.map((x) => Number(x.n))).toEqual([2, 3, 4, 5, 6, 7, 8, 9, 10]);
    const j = await journal();
    expect(j.filter((x) => x.name.endsWith("_step.expand.sql")).map((x) => [x.seq, x.status, x.runId])).toEqual(
      Array.from({ length: 10 }, (_, i) => [i + 1, "succeeded", "r1"]),
    );
    expect(j[0]?.checksum).toMatch(/^v1:sha256:[0-9a-f]{64}$/);
    const again = await run(dir, { runId: "r2" });
    expect(again.applied).toEqual([]);
    expect((await journal()).length).toBe(j.length);
    await qexec(db, "drop table ord");
  });

  it("rolls a failing script back with its journal accurate, and resume continues from it", async () => {
    // Fresh journal scope per test is not needed: each test uses its own tables and checks rows by name.
    const dir = folder({
      "0001_a.migrate.sql": "create table fa (id integer primary key);",
      "0002_b.migrate.sql":
        "create table fb (id integer primary key);\ninsert into fb (id) values (1);\ninsert into no_such_table " +
        "values (1);",
      "0003_c.migrate.sql": "create table fc (id integer primary key);",
    });
    // Earlier tests applied other scripts under other names at seq 1..10: use a separate scope.
    const client = scoped(db, "s2");
    const first = runMigrations(client, {
      folder: loadScriptFolder(dir),
      phase: "migrate",
      runId: "r1",
      log: testLog(),
    });
    const err = await first.catch((e: unknown) => e);
    expect(isCutoverError(err)).toBe(true);
    expect((err as Error).message).toContain("0002_b.migrate.sql");
    expect((err as Error).message).toMatch(/no_such_table/);
    // fb was rolled back with the script; fa stayed.
    await expect(q(db, "select * from fb")).rejects.toThrow();
    expect(await q(db, "select * from fa")).toEqual([]);
    const conn = await client.connect("t");
    const j = await readJournal(conn, client.sql);
    await conn.close();
    expect(j.map((x) => [x.seq, x.status])).toEqual([
      [1, "succeeded"],
      [2, "failed"],
    ]);
    expect(j[1]?.error).toMatch(/no_such_table/);
    // Fix the script and resume: 1 is skipped, 2 and 3 run.
    rewriteFile(
      dir,
      "0002_b.migrate.sql",
      "create table fb (id integer primary key);\ninsert into fb (id) values (1);",
    );
    const r = await runMigrations(client, {
      folder: loadScriptFolder(dir),
      phase: "migrate",
      runId: "r1",
      log: testLog(),
    });
    expect(r.applied.map((a) => a.seq)).toEqual([2, 3]);
    expect((await q(db, "select id from fb")).map((x) => Number(x.id))).toEqual([1]);
  });

  it("fails on checksum drift naming the file and both hashes; accept-drift is audited", async () => {
    const client = scoped(db, "s3");
    const dir = folder({ "0001_d.expand.sql": "create table dr (id integer);" });
    await runMigrations(client, { folder: loadScriptFolder(dir), phase: "expand", runId: "r1", log: testLog() });
    const before = loadScriptFolder(dir).scripts[0]?.checksum;
    // CRLF and a trailing newline are transport noise, not drift.
    rewriteFile(dir, "0001_d.expand.sql", "create table dr (id integer);\r\n\r\n");
    await runMigrations(client, { folder: loadScriptFolder(dir), phase: "expand", runId: "r2", log: testLog() });
    rewriteFile(dir, "0001_d.expand.sql", "create table dr (id bigint);");
    const after = loadScriptFolder(dir).scripts[0]?.checksum;
    const err = (await runMigrations(client, {
      folder: loadScriptFolder(dir),
      phase: "expand",
      runId: "r3",
      log: testLog(),
    }).catch((e: unknown) => e)) as Error;
    expect(err.message).toContain("0001_d.expand.sql");
    expect(err.message).toContain(String(before));
    expect(err.message).toContain(String(after));
    await acceptDrift(client, {
      folder: loadScriptFolder(dir),
      seq: 1,
      reason: "widened type applied by hand",
      by: "tester",
    });
    await runMigrations(client, { folder: loadScriptFolder(dir), phase: "expand", runId: "r4", log: testLog() });
    const conn = await client.connect("t");
    const j = await readJournal(conn, client.sql);
    await conn.close();
    const accepted = j.find((x) => x.status === "accepted_drift");
    expect(accepted?.checksum).toBe(after);
    expect(accepted?.note).toContain("widened type applied by hand");
    expect(accepted?.note).toContain("tester");
  });

  it(
    "runs every compatibility check before any change, " + "reports them together, then resumes after the fix",
    async () => {
      const client = scoped(db, "s4");
      await qexec(
        db,
        "create table people (id integer primary key, email text, age integer); insert into people values (1, " +
          "null, 5), (2, 'b@x', -1), (3, 'c@x', 30);",
      );
      const dir = folder({
        "checks/email.sql":
          "-- cutover:check E_NULL_EMAIL\n-- cutover:message Give these people an email address before the NOT " +
          "NULL constraint.\nselect id from people where email is null",
        "checks/age.sql":
          "-- cutover:check E_NEGATIVE_AGE\n-- cutover:message Fix negative ages.\nselect id, age from people " +
          "where age < 0",
        "0001_new.expand.sql": "create table people_marker (id integer);",
      });
      const err = (await runMigrations(client, {
        folder: loadScriptFolder(dir),
        phase: "expand",
        runId: "r1",
        log: testLog(),
      }).catch((e: unknown) => e)) as Error;
      expect(err.message).toContain("E_NULL_EMAIL");
      expect(err.message).toContain("E_NEGATIVE_AGE");
      expect(err.message).toContain("Give these people an email address");
      // Nothing changed: the script did not run.
      await expect(q(db, "select * from people_marker")).rejects.toThrow();
      await qexec(db, "update people set email = 'a@x' where id = 1");
      // The remaining failure can be acknowledged; the acknowledgement lands in the journal.
      const log = testLog();
      const r = await runMigrations(client, {
        folder: loadScriptFolder(dir),
        phase: "expand",
        runId: "r1",
        acknowledge: ["E_NEGATIVE_AGE"],
        log,
      });
      expect(r.applied.length).toBe(1);
      expect(log.lines.join("\n")).toContain("acknowledged, proceeding: E_NEGATIVE_AGE");
      const conn = await client.connect("t");
      const j = await readJournal(conn, client.sql);
      await conn.close();
      expect(j.at(-1)?.acknowledged).toEqual(["E_NEGATIVE_AGE"]);
    },
  );

  it("catches a preserved table that changed, naming it, and keeps failing on retry", async () => {
    const client = scoped(db, "s5");
    await qexec(
      db,
      "create table accounts (id integer primary key, balance integer); insert into accounts values (1, 10), (2, 20);",
    );
    await qexec(db, "create table audit (id integer primary key, what text); insert into audit values (1, 'x');");
    const dir = folder({
      "0001_add.expand.sql": "alter table accounts add column note text;",
      "0002_oops.expand.sql": "update accounts set balance = balance + 1 where id = 2;",
    });
    const preserve = [{ table: "accounts" }, { table: "audit" }];
    const err = (await runMigrations(client, {
      folder: loadScriptFolder(dir),
      phase: "expand",
      runId: "r1",
      preserve,
      log: testLog(),
    }).catch((e: unknown) => e)) as Error;
    expect(err.message).toMatch(/data preservation failed for accounts/);
    expect(err.message).not.toMatch(/audit/);
    // The added column is not a change: only the columns present before are compared.
    const again = (await runMigrations(client, {
      folder: loadScriptFolder(dir),
      phase: "expand",
      runId: "r1",
      preserve,
      log: testLog(),
    }).catch((e: unknown) => e)) as Error;
    expect(again.message).toMatch(/data preservation failed for accounts/);
    // A run that does not touch preserved data passes.
    const dir2 = folder({ "0001_add.expand.sql": "alter table audit add column at text;" });
    const ok = await runMigrations(scoped(db, "s5b"), {
      folder: loadScriptFolder(dir2),
      phase: "expand",
      runId: "r2",
      preserve,
      log: testLog(),
    });
    expect(ok.snapshots.map((s) => [s.name, s.rowCount])).toEqual([
      ["accounts", 2],
      ["audit", 1],
    ]);
  });
});
