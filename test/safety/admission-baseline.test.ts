/**
 * Issue 9, case 4 (Ed-Fi style) through the built CLI: a bad script corrupts 50 rows, a later script
 * fails, the run pauses; the operator fixes the cause by hand and starts anew. The new run is refused
 * while the old one is open, and a run that supersedes it measures against the old run's snapshot
 * (the baseline taken before the corruption), so the corrupted data is still caught.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import { afterEach, beforeAll, expect, it } from "vitest";
import { jsonLines, requireBuilt, runCli, tmpProject } from "../support/cli.js";

const playbook = `
version: 1
name: edfi
environment:
  db: { provider: sqlite, path: app.db }
steps:
  - id: snapshot
    action: migrate.validate
    with: { mode: snapshot, preserve: [{ table: students }] }
  - id: migrate
    action: migrate.run
    with: { dir: scripts, phase: expand }
  - id: compare
    action: migrate.validate
    with: { mode: compare, preserve: [{ table: students }] }
`;

let p: ReturnType<typeof tmpProject>;
beforeAll(() => requireBuilt());
afterEach(() => p?.cleanup());

it("a run that supersedes an unfinished one inherits its baseline and catches the data it corrupted", () => {
  p = tmpProject({ "edfi.yaml": playbook });
  mkdirSync(path.join(p.dir, "scripts"));
  writeFileSync(
    path.join(p.dir, "scripts", "0001_bad.expand.sql"),
    "update students set name = 'corrupted' where id <= 50;",
  );
  writeFileSync(path.join(p.dir, "scripts", "0002_audit.expand.sql"), "insert into audit (note) values ('v2');");
  const db = new Database(path.join(p.dir, "app.db"));
  db.exec(
    "create table students (id integer primary key, name text); with recursive n(i) as (select 1 union all " +
      "select i + 1 from n where i < 100) insert into students select i, 'S' || i from n;",
  );
  db.close();

  const first = runCli(["run", "edfi.yaml", "-o", "json"], { cwd: p.dir });
  expect(first.code).toBe(3); // paused: 0002 failed after 0001 corrupted 50 rows
  const old = jsonLines(first.stdout)[0]!.runId as string;

  // The operator fixes the cause by hand...
  const fix = new Database(path.join(p.dir, "app.db"));
  fix.exec("create table audit (note text)");
  fix.close();
  // ...and starts a new run: refused while the old one is open,
  const refused = runCli(["run", "edfi.yaml"], { cwd: p.dir });
  expect(refused.code).toBe(4);
  expect(refused.stderr).toContain(`${old} is paused at step migrate`);
  // and, superseding it, measured against the old run's snapshot: the 50 corrupted rows are caught.
  const sup = runCli(["run", "edfi.yaml", "--supersede", old, "-o", "json"], { cwd: p.dir });
  const events = jsonLines(sup.stdout);
  expect(
    events.some((e) => e.type === "step.log" && String(e.message).includes(`inherited from superseded run ${old}`)),
  ).toBe(true);
  const failed = events.find((e) => e.type === "step.failed" && e.stepId === "compare") as
    { error?: { message: string } } | undefined;
  expect(failed?.error?.message).toContain("students");
  expect(sup.code).toBe(3);
});
