/**
 * The script splitter against the real PostgreSQL (issue 11, defect 6): SQL that psql runs must load and run.
 * It used to refuse dollar-quote tags with digits (`$fn1$`) and `BEGIN ATOMIC … END` bodies, splitting them at
 * their inner `;` (then "statement N controls the transaction" for the END, or too many statements for a
 * no-transaction script, which runs its one statement's text).
 */
import { execFileSync } from "node:child_process";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runMigrations } from "../../src/providers/sql/apply.js";
import { loadScriptFolder } from "../../src/providers/sql/scripts.js";
import { createPgDb, q, tempFolders, testLog, type TestDb } from "./helpers.js";

const SCRIPTS: Record<string, string> = {
  "0001_routines.expand.sql": `create table audit (msg text);

create function add_one(i integer) returns integer as $fn1$
begin
  return i + 1; -- a ; inside the body
end;
$fn1$ language plpgsql;

create function sign_word(i integer) returns text
language sql
begin atomic
  select case when i > 0 then 'positive' when i < 0 then 'negative' else 'zero' end;
end;

create or replace procedure log_twice(m text)
language sql
begin atomic
  insert into audit (msg) values (m);
  insert into audit (msg) values (m || ' again');
end;
`,
  "0002_rule.expand.sql": `create table readings (v integer);
create rule big_reading as on insert to readings where new.v > 100
  do also (insert into audit (msg) values ('big'); insert into audit (msg) values ('very big'));
`,
  "0003_lonely.expand.sql": `-- cutover:no-transaction
create function twice(i integer) returns integer as $body_2$
begin
  return i * 2;
end;
$body_2$ language plpgsql;
`,
};

describe("PostgreSQL scripts that psql runs", () => {
  const folder = tempFolders();
  let viaPsql: TestDb;
  let viaCutover: TestDb;
  beforeAll(async () => {
    [viaPsql, viaCutover] = await Promise.all([createPgDb(), createPgDb()]);
  });
  afterAll(async () => {
    await Promise.all([viaPsql?.drop(), viaCutover?.drop()]);
  });

  it("are valid SQL: psql runs each file", () => {
    const dir = folder(SCRIPTS);
    for (const name of Object.keys(SCRIPTS)) {
      execFileSync("psql", ["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", viaPsql.location, "-f", path.join(dir, name)], {
        stdio: "pipe",
      });
    }
  });

  it("load with one statement per top-level statement, and run", async () => {
    const loaded = loadScriptFolder(folder(SCRIPTS));
    expect(loaded.scripts.map((s) => s.statements.length)).toEqual([4, 2, 1]);
    expect(loaded.scripts[2]!.statements[0]!.text).toMatch(/create function twice[\s\S]*\$body_2\$ language plpgsql$/);

    const out = await runMigrations(viaCutover.client(), {
      folder: loaded,
      phase: "expand",
      runId: "r-split",
      log: testLog(),
    });
    expect(out.applied.map((a) => a.seq)).toEqual([1, 2, 3]);
    expect(await q(viaCutover, "select add_one(1) as a, sign_word(-3) as s, twice(21) as t")).toEqual([
      { a: 2, s: "negative", t: 42 },
    ]);
    await q(viaCutover, "call log_twice('hi')");
    await q(viaCutover, "insert into readings (v) values (500)");
    expect((await q(viaCutover, "select msg from audit order by msg")).map((r) => r.msg)).toEqual([
      "big",
      "hi",
      "hi again",
      "very big",
    ]);
  });
});
