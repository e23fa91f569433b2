/**
 * Reversible migrate.run refusals on real PostgreSQL and SQLite: missing
 * undo files before any change, undo out of order, drift, a dirty undo.
 */
import { rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { expect, it } from "vitest";
import { migrateCheck } from "../../src/actions/migrate-check.js";
import { migrateRun } from "../../src/actions/migrate-run.js";
import { isCutoverError } from "../../src/core/errors.js";
import { migrationStatus, resolveScript } from "../../src/providers/sql/admin.js";
import { insertJournalRow } from "../../src/providers/sql/journal.js";
import { loadScriptFolder } from "../../src/providers/sql/scripts.js";
import { sqlContext } from "../support/context.js";
import { describeEachDb } from "../support/reversible-migrations.js";
import { rewriteFile } from "./files.js";
import { q, qexec } from "./helpers.js";
import { act, journal, tableExists, undo } from "./undo-helpers.js";

describeEachDb("reversible migrate.run refusals on %s", ({ db, step }) => {
  it(
    "fails before any change when a script it would apply has no undo file, naming each; without reversible the " +
      "same folder applies as before",
    async () => {
      const { client, dir, w } = step("r1", {
        "0001_one.expand.sql": "create table mu1 (id integer);",
        "0001_one.expand.undo.sql": "drop table mu1;",
        "0002_two.expand.sql": "create table mu2 (id integer);",
        "0003_three.expand.sql": "create table mu3 (id integer);",
      });
      const err = await act(client, "run-m", w).catch((e: unknown) => e);
      expect(isCutoverError(err, "STEP_FAILED")).toBe(true);
      const message = (err as Error).message;
      expect(message).toContain(
        `${path.join(dir, "0002_two.expand.sql")}: no undo script, and the step is reversible; add ` +
          `0002_two.expand.undo.sql next to it`,
      );
      expect(message).toContain("add 0003_three.expand.undo.sql");
      expect(message).not.toContain("0001_one.expand.sql:");
      expect(await tableExists(db(), "mu1")).toBe(false);
      expect(await journal(client)).toEqual([]);

      // So does the preflight, read-only; `reversible` there needs the phase it is about.
      const check = await migrateCheck
        .run(
          migrateCheck.with.parse({ dir, phase: "expand", reversible: true }),
          sqlContext(client, { runId: "run-m" }),
        )
        .catch((e: unknown) => e);
      expect((check as Error).message).toContain("add 0002_two.expand.undo.sql");
      expect(migrateCheck.with.safeParse({ dir, reversible: true }).error?.issues[0]?.message).toMatch(
        /set `phase` too/,
      );
      expect(await journal(client)).toEqual([]);

      // Unchanged without reversible: an expand applies, abort has
      // nothing to undo ("none"), and the record keeps the names.
      const plain = await act(client, "run-p", { dir, phase: "expand" });
      expect(plain.outputs?.scripts).toEqual(["0001_one.expand.sql", "0002_two.expand.sql", "0003_three.expand.sql"]);
      expect(migrateRun.undoFor!(migrateRun.with.parse({ dir, phase: "expand" }))).toBe("none");
      // Only pending scripts need an undo: applied ones without one do not stop a later reversible step.
      rewriteFile(dir, "0004_four.expand.sql", "create table mu4 (id integer);");
      rewriteFile(dir, "0004_four.expand.undo.sql", "drop table mu4;");
      const later = await act(client, "run-q", w);
      expect(later.outputs?.scripts).toEqual(["0004_four.expand.sql"]);
      expect(plain.recorded).toMatchObject({
        reversible: false,
        applied: ["0001_one.expand.sql", "0002_two.expand.sql", "0003_three.expand.sql"],
      });
      // A record of an earlier cutover (names, no checksums) is refused by undo, never guessed at.
      const old = await undo(client, "run-p", w, { phase: "expand", applied: ["0003_three.expand.sql"] }).catch(
        (e: unknown) => e,
      );
      expect((old as Error).message).toMatch(/this step ran without `reversible: true`/);
      expect(await tableExists(db(), "mu3")).toBe(true);
    },
  );

  it(
    "refuses to undo beneath a later script another run applied, " +
      "changing nothing; undoing that run first unblocks it",
    async () => {
      const { client, dir, w } = step("r2", {
        "0001_a.expand.sql": "create table oo_a (id integer);",
        "0001_a.expand.undo.sql": "drop table oo_a;",
        "0002_b.expand.sql": "create table oo_b (id integer);",
        "0002_b.expand.undo.sql": "drop table oo_b;",
      });
      const a = await act(client, "run-a", w);
      rewriteFile(dir, "0003_c.expand.sql", "create table oo_c (id integer);");
      rewriteFile(dir, "0003_c.expand.undo.sql", "drop table oo_c;");
      const b = await act(client, "run-b", { ...w, release: "v3" });
      expect(b.outputs?.scripts).toEqual(["0003_c.expand.sql"]);
      const rows = (await journal(client)).length;

      const err = await undo(client, "run-a", w, a.recorded).catch((e: unknown) => e);
      expect(isCutoverError(err, "STEP_FAILED")).toBe(true);
      expect((err as Error).message).toMatch(
        /cannot undo the migrations of run run-a: 1 problem found before any change/,
      );
      expect((err as Error).message).toMatch(
        /0003_c\.expand\.sql \(script 3\) was applied later by run run-b \(release v3\) and is still applied; undoing 0001_a\.expand\.sql beneath it would be out of order/,
      );
      expect((err as { hint?: string }).hint).toMatch(/nothing was changed/);
      expect(await tableExists(db(), "oo_a")).toBe(true);
      expect(await tableExists(db(), "oo_b")).toBe(true);
      expect((await journal(client)).length).toBe(rows);

      await undo(client, "run-b", w, b.recorded);
      await undo(client, "run-a", w, a.recorded);
      expect(await tableExists(db(), "oo_a")).toBe(false);
      expect(await tableExists(db(), "oo_c")).toBe(false);
    },
  );

  it(
    "refuses drift of an applied script and a missing undo file, " +
      "changing nothing; an edited undo file runs with a warning",
    async () => {
      const { client, dir, w } = step("r3", {
        "0001_a.expand.sql": "create table dd_a (id integer);",
        "0001_a.expand.undo.sql": "drop table dd_a;",
        "0002_b.expand.sql": "create table dd_b (id integer);",
        "0002_b.expand.undo.sql": "drop table dd_b;",
      });
      const a = await act(client, "run-a", w);
      const rows = (await journal(client)).length;

      rewriteFile(dir, "0002_b.expand.sql", "create table dd_b (id bigint);");
      rmSync(path.join(dir, "0001_a.expand.undo.sql"));
      const err = (await undo(client, "run-a", w, a.recorded).catch((e: unknown) => e)) as Error;
      expect(err.message).toMatch(/2 problems found before any change/);
      expect(err.message).toMatch(
        /0002_b\.expand\.sql: script 2 was applied with checksum v1:sha256:\w+ but the file now has v1:sha256:\w+ .*: its undo script was written for the text as applied; restore the file as applied/,
      );
      expect(err.message).toMatch(
        /0001_a\.expand\.sql: its undo script 0001_a\.expand\.undo\.sql is missing; restore it/,
      );
      expect(await tableExists(db(), "dd_b")).toBe(true);
      expect((await journal(client)).length).toBe(rows);

      rewriteFile(dir, "0002_b.expand.sql", "create table dd_b (id integer);");
      writeFileSync(path.join(dir, "0001_a.expand.undo.sql"), "-- restored, with a comment\ndrop table dd_a;");
      const lines = await undo(client, "run-a", w, a.recorded);
      expect(lines.join("\n")).toMatch(/warn: 0001_a\.expand\.undo\.sql changed since 0001_a\.expand\.sql was applied/);
      expect(await tableExists(db(), "dd_a")).toBe(false);
    },
  );

  it("runs a no-transaction undo script; a dirty undo stops the next run and the undo until resolved", async () => {
    const pg = db().dialect === "postgres";
    await qexec(db(), "create table nt (id integer)");
    const { client, dir, w } = step("r4", {
      "0001_idx.expand.sql": `-- cutover:no-transaction\ncreate index ${pg ? "concurrently " : ""}nt_id on nt (id)`,
      "0001_idx.expand.undo.sql": `-- cutover:no-transaction\ndrop index ${pg ? "concurrently " : ""}nt_id`,
      "0002_col.expand.sql": "alter table nt add column v text;",
      "0002_col.expand.undo.sql": "alter table nt drop column v;",
    });
    const a = await act(client, "run-a", w);
    await undo(client, "run-a", w, a.recorded);
    const indexes = pg
      ? await q(db(), "select indexname from pg_indexes where tablename = 'nt'")
      : await q(db(), "select name from sqlite_master where type = 'index' and tbl_name = 'nt'");
    expect(indexes).toEqual([]);
    expect((await journal(client)).map((r) => [r.seq, r.status, r.transactional])).toEqual([
      [1, "succeeded", false],
      [2, "succeeded", true],
      [2, "undone", true],
      [1, "undone", false],
    ]);

    // A runner that died during a no-transaction undo leaves `undo_running`: nobody knows whether it took effect.
    const b = await act(client, "run-b", w);
    const script = loadScriptFolder(dir).scripts[1]!;
    const conn = await client.connect("t");
    await insertJournalRow(conn, client.sql, {
      seq: 2,
      name: script.name,
      phase: "expand",
      checksum: script.undo!.checksum,
      transactional: true,
      status: "undo_running",
      durationMs: null,
      runId: "run-b",
      release: null,
      leaseToken: 0,
      executedBy: "ghost@host pid 1",
      error: null,
      acknowledged: [],
      note: null,
      finished: false,
    });
    await conn.close();
    const stuck = (await undo(client, "run-b", w, b.recorded).catch((e: unknown) => e)) as Error;
    expect(stuck.message).toMatch(
      /the undo of script 2 is dirty: left running by ghost@host pid 1 \(run run-b\).*cutover migrate resolve 2 --mark undone \(it did\) \| --mark succeeded/,
    );
    await expect(act(client, "run-c", w)).rejects.toThrow(/the undo of script 2 is dirty/);
    await expect(
      resolveScript(client, { folder: loadScriptFolder(dir), seq: 2, mark: "failed", reason: "x", by: "ops" }),
    ).rejects.toThrow(/mark it undone .* or succeeded/);
    // It did not take effect (the column is there): the script is still applied, and the undo can run again.
    await resolveScript(client, {
      folder: loadScriptFolder(dir),
      seq: 2,
      mark: "succeeded",
      reason: "column still there",
      by: "ops",
    });
    expect((await migrationStatus(client, loadScriptFolder(dir))).status.scripts.map((s) => s.state)).toEqual([
      "applied",
      "applied",
    ]);
    await undo(client, "run-b", w, b.recorded);
    expect((await migrationStatus(client, loadScriptFolder(dir))).status.scripts.map((s) => s.state)).toEqual([
      "undone",
      "undone",
    ]);
    await expect(
      resolveScript(client, { folder: loadScriptFolder(dir), seq: 1, mark: "undone", reason: "x", by: "ops" }),
    ).rejects.toThrow(/only a dirty \(running\) or failed script/);
  });
});
