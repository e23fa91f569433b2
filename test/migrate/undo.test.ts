/**
 * Reversible migrate.run against real PostgreSQL and SQLite: apply + undo,
 * the journal's undo rows, re-apply, an abort resumed after a failed undo.
 */
import { expect, it } from "vitest";
import { migrateCheck } from "../../src/actions/migrate-check.js";
import { isCutoverError } from "../../src/core/errors.js";
import { migrationStatus } from "../../src/providers/sql/admin.js";
import { formatPlan, planMigrations } from "../../src/providers/sql/plan.js";
import { loadScriptFolder } from "../../src/providers/sql/scripts.js";
import { sqlContext } from "../support/context.js";
import { describeEachDb } from "../support/reversible-migrations.js";
import { q, qexec } from "./helpers.js";
import { act, hasColumn, journal, tableExists, undo } from "./undo-helpers.js";

describeEachDb("reversible migrate.run on %s", ({ db, step }) => {
  it(
    "applies, then its undo scripts restore the schema newest first, journaled; plan, status and check see the " +
      "scripts pending; a later run re-applies them",
    async () => {
      const sqlite = db().dialect === "sqlite";
      if (sqlite) await qexec(db(), "pragma user_version = 2");
      const u1 = step("u1", {
        "0001_create_rv.expand.sql": "create table rv1 (id integer primary key);",
        "0001_create_rv.expand.undo.sql": "drop table rv1;",
        "0002_add_note.expand.sql": "alter table rv1 add column note text;",
        "0002_add_note.expand.undo.sql": "alter table rv1 drop column note;",
        "0003_mark.expand.sql": sqlite ? "pragma user_version = 3;" : "create index rv1_note on rv1 (note);",
        "0003_mark.expand.undo.sql": sqlite ? "pragma user_version = 2;\r\n" : "drop index rv1_note;",
      });
      const { client, dir } = u1;
      const w = { ...u1.w, release: "v2" };
      const scripts = loadScriptFolder(dir).scripts;
      const r = await act(client, "run-a", w);
      expect(r.outputs?.scripts).toEqual([
        "0001_create_rv.expand.sql",
        "0002_add_note.expand.sql",
        "0003_mark.expand.sql",
      ]);
      // The record names exactly what this run applied, with the checksums it applied and its undo files.
      expect(r.recorded).toEqual({
        phase: "expand",
        reversible: true,
        applied: scripts.map((s) => s.name),
        scripts: scripts.map((s) => ({
          seq: s.seq,
          name: s.name,
          checksum: s.checksum,
          undo: { name: s.undo!.name, checksum: s.undo!.checksum },
        })),
      });
      expect(await hasColumn(db(), "rv1", "note")).toBe(true);
      if (sqlite) expect((await q(db(), "pragma user_version"))[0]?.user_version).toBe(3);

      const lines = await undo(client, "run-a", w, r.recorded);
      expect(lines.join("\n")).toMatch(
        /undid 3 script\(s\): 0003_mark\.expand\.sql, 0002_add_note\.expand\.sql, 0001_create_rv\.expand\.sql/,
      );
      expect(await tableExists(db(), "rv1")).toBe(false);
      if (sqlite) expect((await q(db(), "pragma user_version"))[0]?.user_version).toBe(2);
      const j = await journal(client);
      expect(j.map((x) => [x.seq, x.status, x.runId, x.release])).toEqual([
        [1, "succeeded", "run-a", "v2"],
        [2, "succeeded", "run-a", "v2"],
        [3, "succeeded", "run-a", "v2"],
        [3, "undone", "run-a", "v2"],
        [2, "undone", "run-a", "v2"],
        [1, "undone", "run-a", "v2"],
      ]);
      // An undo row carries the checksum of the undo file that ran
      // (normalised: the CRLF does not count) and says what it undid.
      expect(j[3]?.checksum).toBe(scripts[2]?.undo?.checksum);
      expect(j[3]?.note).toBe(
        `undo 0003_mark.expand.undo.sql (${scripts[2]?.undo?.checksum}) of 0003_mark.expand.sql applied by run ` +
          `run-a with ${scripts[2]?.checksum}`,
      );

      // Undone = pending again, for plan, status and migrate.check.
      const plan = await planMigrations(client, { folder: loadScriptFolder(dir), phase: "expand" });
      expect(plan.toRun.map((s) => [s.seq, s.state, s.undoneBy])).toEqual([
        [1, "undone", "run-a"],
        [2, "undone", "run-a"],
        [3, "undone", "run-a"],
      ]);
      const text = formatPlan(plan);
      expect(text).toContain("0001 0001_create_rv.expand.sql  [expand, transactional, again: undone by run run-a]");
      expect(text).toContain("       undo: 0001_create_rv.expand.undo.sql");
      const { status } = await migrationStatus(client, loadScriptFolder(dir));
      expect(status.scripts.map((s) => s.state)).toEqual(["undone", "undone", "undone"]);
      expect(status.pending.length).toBe(3);
      const check = await migrateCheck.run(
        migrateCheck.with.parse({ dir, phase: "expand" }),
        sqlContext(client, { runId: "run-c" }),
      );
      expect(check.outputs?.pending).toBe(3);

      // The engine may call undo again (a resumed abort): nothing is undone twice.
      const again = await undo(client, "run-a", w, r.recorded);
      expect(again.join("\n")).toMatch(/0001_create_rv\.expand\.sql: already undone by run run-a; skipped/);
      expect((await journal(client)).length).toBe(6);

      const r2 = await act(client, "run-b", w);
      expect(r2.outputs?.scripts).toEqual([
        "0001_create_rv.expand.sql",
        "0002_add_note.expand.sql",
        "0003_mark.expand.sql",
      ]);
      expect(await hasColumn(db(), "rv1", "note")).toBe(true);
      if (sqlite) expect((await q(db(), "pragma user_version"))[0]?.user_version).toBe(3);
      const after = await migrationStatus(client, loadScriptFolder(dir));
      expect(after.status.scripts.map((s) => [s.state, s.latest?.runId])).toEqual([
        ["applied", "run-b"],
        ["applied", "run-b"],
        ["applied", "run-b"],
      ]);
      // run-a's old record no longer owns the scripts: its undo refuses instead of undoing run-b's work.
      const stale = await undo(client, "run-a", w, r.recorded).catch((e: unknown) => e);
      expect((stale as Error).message).toMatch(/script 3 was applied again by run run-b after run run-a applied it/);
      expect(await hasColumn(db(), "rv1", "note")).toBe(true);
      await qexec(db(), "drop table rv1");
      if (sqlite) await qexec(db(), "pragma user_version = 0");
    },
  );

  it(
    "resumes an abort whose second undo script failed: the first " +
      "is not repeated, the failed attempt stays in the journal",
    async () => {
      const { client, dir, w } = step(
        "u2",
        {
          "0001_a.migrate.sql": "create table cu_a (id integer);",
          "0001_a.migrate.undo.sql": "drop table cu_a;",
          "0002_b.migrate.sql": "create table cu_b (id integer);",
          // Fails until cu_gate exists: a stand-in for an undo that
          // breaks mid-abort (a crash, a lock, a bug fixed on the spot).
          "0002_b.migrate.undo.sql": "drop table cu_b;\ninsert into cu_gate (id) values (1);",
          "0003_c.migrate.sql": "create table cu_c (id integer);",
          // Not idempotent: running it twice would fail, so a repeat would show.
          "0003_c.migrate.undo.sql": "drop table cu_c;",
        },
        "migrate",
      );
      const r = await act(client, "run-x", w);
      const err = await undo(client, "run-x", w, r.recorded).catch((e: unknown) => e);
      expect(isCutoverError(err, "STEP_FAILED")).toBe(true);
      expect((err as Error).message).toMatch(/0002_b\.migrate\.undo\.sql(:2)?: undo of script 2 \(migrate\) failed/);
      expect((err as { hint?: string }).hint).toMatch(/run `cutover abort` again/);
      // The failed undo rolled back with its journal row: cu_b is still there, cu_c is gone.
      expect(await tableExists(db(), "cu_c")).toBe(false);
      expect(await tableExists(db(), "cu_b")).toBe(true);
      expect(await tableExists(db(), "cu_a")).toBe(true);
      const mid = await migrationStatus(client, loadScriptFolder(dir));
      expect(mid.status.scripts.map((s) => s.state)).toEqual(["applied", "applied", "undone"]);

      await qexec(db(), "create table cu_gate (id integer)");
      const lines = await undo(client, "run-x", w, r.recorded);
      expect(lines.join("\n")).toContain("0003_c.migrate.sql: already undone by run run-x; skipped");
      expect(await tableExists(db(), "cu_b")).toBe(false);
      expect(await tableExists(db(), "cu_a")).toBe(false);
      expect((await q(db(), "select id from cu_gate")).length).toBe(1);
      const j = await journal(client);
      expect(j.map((x) => [x.seq, x.status])).toEqual([
        [1, "succeeded"],
        [2, "succeeded"],
        [3, "succeeded"],
        [3, "undone"],
        [2, "undo_failed"],
        [2, "undone"],
        [1, "undone"],
      ]);
      expect(j[4]?.error).toMatch(/cu_gate/);
    },
  );
});
