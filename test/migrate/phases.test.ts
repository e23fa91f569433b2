/** Expand/contract through the migrate.* actions, plan/dry-run guarantees, migrate.check and migrate.validate. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { migrateCheck } from "../../src/actions/migrate-check.js";
import { migrateRun } from "../../src/actions/migrate-run.js";
import { migrateValidate } from "../../src/actions/migrate-validate.js";
import { journalExists, readJournal } from "../../src/providers/sql/journal.js";
import { planMigrations, formatPlan } from "../../src/providers/sql/plan.js";
import { loadScriptFolder } from "../../src/providers/sql/scripts.js";
import { sqlContext } from "../support/context.js";
import { DBS, q, qexec, scoped, tempFolders, type TestDb } from "./helpers.js";

describe.each(DBS)("expand/contract, plan and checks on %s", (_name, create) => {
  let db: TestDb;
  beforeAll(async () => {
    db = await create();
  });
  afterAll(() => db.drop());
  const folder = tempFolders();
  const run = (client: ReturnType<typeof scoped>, runId: string, w: Record<string, unknown>) =>
    migrateRun.run(migrateRun.with.parse(w), sqlContext(client, { runId }));

  it(
    "ties expand and contract to the release: contract needs a later run and the previous version retired; a new " +
      "expand waits for the contract",
    async () => {
      const client = scoped(db, "ph1");
      await qexec(db, "create table users (id integer primary key, name text)");
      const dir = folder({
        "0001_add_full_name.expand.sql": "alter table users add column full_name text;",
        "0002_drop_name.contract.sql": "alter table users drop column name;",
      });
      const v2 = await run(client, "run-v2", { dir, phase: "expand", release: "v2" });
      expect(v2.outputs?.scripts).toEqual(["0001_add_full_name.expand.sql"]);
      // Same run: refused even with the acknowledgement.
      await expect(run(client, "run-v2", { dir, phase: "contract", previousVersionRetired: true })).rejects.toThrow(
        /same run as its expand/,
      );
      // Later run without saying v1 is retired: refused, naming the release.
      await expect(run(client, "run-later", { dir, phase: "contract" })).rejects.toThrow(
        /previous app version may still be live \(last expand: 0001_add_full_name\.expand\.sql, release v2/,
      );
      // Release v3 brings a new expand while v2's contract is still pending: refused.
      const dir3 = folder({
        "0001_add_full_name.expand.sql": "alter table users add column full_name text;",
        "0002_drop_name.contract.sql": "alter table users drop column name;",
        "0003_add_nick.expand.sql": "alter table users add column nick text;",
      });
      await expect(run(client, "run-v3", { dir: dir3, phase: "expand", release: "v3" })).rejects.toThrow(
        /refusing a new expand \(0003_add_nick\.expand\.sql\) while contract script 0002_drop_name\.contract\.sql/,
      );
      const c = await run(client, "run-later", {
        dir: dir3,
        phase: "contract",
        previousVersionRetired: true,
        release: "v2",
      });
      expect(c.outputs?.scripts).toEqual(["0002_drop_name.contract.sql"]);
      const v3 = await run(client, "run-v3", { dir: dir3, phase: "expand", release: "v3" });
      expect(v3.outputs?.scripts).toEqual(["0003_add_nick.expand.sql"]);
      const conn = await client.connect("t");
      const j = await readJournal(conn, client.sql);
      await conn.close();
      expect(j.map((r) => [r.name, r.release, r.acknowledged])).toEqual([
        ["0001_add_full_name.expand.sql", "v2", []],
        ["0002_drop_name.contract.sql", "v2", ["PREVIOUS_VERSION_RETIRED"]],
        ["0003_add_nick.expand.sql", "v3", []],
      ]);
    },
  );

  it("force overrides the contract rules and is recorded", async () => {
    const client = scoped(db, "ph2");
    await qexec(db, "create table forced (id integer, old text)");
    const dir = folder({
      "0001_a.expand.sql": "alter table forced add column new text;",
      "0002_b.contract.sql": "alter table forced drop column old;",
    });
    await run(client, "same", { dir, phase: "expand" });
    const out = await run(client, "same", { dir, phase: "contract", force: true });
    expect(out.outputs?.acknowledged).toEqual(["FORCE"]);
  });

  it(
    "plans and dry-runs with no lock taken and nothing " + "written, even while another runner holds the lease",
    async () => {
      const client = scoped(db, "ph3");
      await qexec(
        db,
        "create table planned (id integer primary key, email text); insert into planned values (1, null);",
      );
      const dir = folder({
        "0001_idx.expand.sql": "create index planned_email on planned (email);",
        "0002_type.expand.sql": "alter table planned alter column email type varchar(200);",
        "checks/nulls.sql":
          "-- cutover:check E_NULL_EMAIL\n-- cutover:message Fill emails.\nselect id from planned where email is null",
      });
      // Nothing exists yet: the plan must not create the journal.
      const first = await planMigrations(client, { folder: loadScriptFolder(dir), phase: "expand", runChecks: true });
      expect(first.journalExists).toBe(false);
      const conn = await client.connect("t");
      expect(await journalExists(conn, client.sql)).toBe(false);
      expect((await readJournal(conn, client.sql)).length).toBe(0);
      expect(await q(db, "select count(*) as n from planned where email is null")).toEqual([
        { n: db.dialect === "postgres" ? "1" : 1 },
      ]);
      expect(formatPlan(first)).toContain("journal: not created yet");
      await conn.close();
    },
  );

  it(
    "migrate.check reports all problems read-only; " + "migrate.validate catches a change between snapshot and compare",
    async () => {
      const client = scoped(db, "ph4");
      await qexec(
        db,
        "create table kept (id integer primary key, v text); insert into kept values (1, 'a'), (2, 'b');",
      );
      const dir = folder({
        "0001_x.expand.sql": "create table kept_x (id integer);",
        "checks/a.sql": "-- cutover:check E_A\n-- cutover:message Fix A.\nselect id from kept where v = 'a'",
      });
      const check = migrateCheck.with.parse({
        dir,
        checks: [{ code: "E_B", message: "Fix B.", query: "select id from kept where v = 'b'" }],
      });
      await expect(migrateCheck.run(check, sqlContext(client))).rejects.toThrow(/E_A: Fix A\.[\s\S]*E_B: Fix B\./);
      const acked = await migrateCheck.run(
        migrateCheck.with.parse({ ...check, acknowledge: ["E_A", "E_B"] }),
        sqlContext(client),
      );
      expect(acked.outputs).toEqual({ pending: 1, acknowledged: ["E_A", "E_B"] });

      const w = { preserve: [{ table: "kept" }, { name: "b-rows", query: "select id, v from kept where v = 'b'" }] };
      await migrateValidate.run(
        migrateValidate.with.parse({ ...w, mode: "snapshot" }),
        sqlContext(client, { runId: "v1" }),
      );
      await qexec(db, "update kept set v = 'c' where id = 2");
      await expect(
        migrateValidate.run(migrateValidate.with.parse({ ...w, mode: "compare" }), sqlContext(client, { runId: "v1" })),
      ).rejects.toThrow(/data preservation failed for kept, b-rows/);
      await expect(
        migrateValidate.run(
          migrateValidate.with.parse({ ...w, mode: "compare" }),
          sqlContext(client, { runId: "other" }),
        ),
      ).rejects.toThrow(/no snapshot/);
    },
  );
});
