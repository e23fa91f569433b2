/** The script folder loader and the risky-statement linter (no database). */
import { describe, expect, it } from "vitest";
import { loadScriptFolder, scriptChecksum } from "../../src/providers/sql/scripts.js";
import { splitStatements } from "../../src/providers/sql/sql-text.js";
import { tempFolders } from "./helpers.js";

const folder = tempFolders();

describe("script folder", () => {
  it("reports every naming, numbering and directive problem at once", () => {
    const dir = folder({
      "0001_a.expand.sql": "select 1;",
      "001_b.expand.sql": "select 1;",
      "0004_c.migrate.sql": "select 1;",
      "0005_d.deploy.sql": "select 1;",
      "0006_e.contract.sql": "-- cutover:no-transacton\nselect 1;",
      "0007_f.expand.sql": "-- cutover:no-transaction\ncreate index concurrently i on t (a); select 1;",
      "0008_g.expand.sql": "create index concurrently j on t (a);",
      "0009_h.expand.sql": "begin;\ncreate table t (a int);\ncommit;",
      "README.md": "ignored",
    });
    let message = "";
    try {
      loadScriptFolder(dir);
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toContain("001_b.expand.sql: number 1 is also used by 0001_a.expand.sql");
    expect(message).toMatch(/numbers jump from 1 to 4; missing 2\.\.3/);
    expect(message).toContain("0005_d.deploy.sql: not a migration script name");
    expect(message).toContain("unknown directive '-- cutover:no-transacton'");
    expect(message).toContain("0007_f.expand.sql: a no-transaction script must hold exactly one statement (found 2)");
    expect(message).toContain("0008_g.expand.sql: statement 1 cannot run inside a transaction");
    expect(message).toContain("0009_h.expand.sql: statement 1 controls the transaction");
    expect(message).toContain("0009_h.expand.sql: statement 3 controls the transaction");
    expect(message).not.toContain("README");
  });

  it(
    "pairs undo scripts with their scripts by name; an undo without its script and a bad undo are reported with " +
      "the other problems",
    () => {
      const dir = folder({
        "0001_a.expand.sql": "create table a (id int);",
        "0001_a.expand.undo.sql": "\uFEFFdrop table a;\r\n",
        "0002_b.expand.sql": "create table b (id int);",
        "0002_b.migrate.undo.sql": "drop table b;",
        "0003_c.contract.sql": "alter table a drop column x;",
        "0003_c.contract.undo.sql": "-- cutover:no-transacton\nbegin;\nalter table a add column x int;",
        "0007_gone.expand.undo.sql": "drop table gone;",
        "0008_i.expand.sql": "select 1;",
        "0008_i.expand.undo.sql": "drop index concurrently i;",
      });
      let message = "";
      try {
        loadScriptFolder(dir);
      } catch (e) {
        message = (e as Error).message;
      }
      expect(message).toContain(
        "0002_b.migrate.undo.sql: undo script without its script 0002_b.migrate.sql (number 2 is " +
          "0002_b.expand.sql); name it after the script it takes back (0002_b.expand.undo.sql), or delete it",
      );
      expect(message).toContain(
        "0007_gone.expand.undo.sql: undo script without its script 0007_gone.expand.sql; name it after the script " +
          "it takes back",
      );
      expect(message).toContain("0003_c.contract.undo.sql: unknown directive '-- cutover:no-transacton'");
      expect(message).toContain("0003_c.contract.undo.sql: statement 1 controls the transaction");
      expect(message).toContain("0008_i.expand.undo.sql: statement 1 cannot run inside a transaction");
      expect(message).toMatch(/numbers jump from 3 to 8/);
      expect(message).not.toContain("0001_a");

      const ok = folder({
        "0001_a.expand.sql": "create table a (id int);",
        "0001_a.expand.undo.sql": "\uFEFFdrop table a;\r\n",
        "0002_i.expand.sql": "-- cutover:no-transaction\ncreate index concurrently i on a (id)",
        "0002_i.expand.undo.sql": "-- cutover:no-transaction\ndrop index concurrently i",
        "0003_plain.expand.sql": "select 1;",
      });
      const [a, i, plain] = loadScriptFolder(ok).scripts;
      // Same checksum rules as a script: a BOM and CRLF are transport noise.
      expect(a?.undo).toMatchObject({
        name: "0001_a.expand.undo.sql",
        transactional: true,
        checksum: scriptChecksum("drop table a;"),
      });
      // Lint warnings apply to undo scripts too (an undo drops what
      // its script added: destructive, never "breaking in an expand").
      expect(a?.undo?.risks.map((r) => r.kind)).toEqual(["destructive"]);
      expect(i?.undo?.transactional).toBe(false);
      expect(plain?.undo).toBeUndefined();
    },
  );

  it("orders numerically, reads the no-transaction header and normalises only transport noise in checksums", () => {
    const dir = folder({
      "9_a.expand.sql": "select 9;",
      "10_b.expand.sql": "select 10;",
      "11_c.expand.sql": "-- cutover:no-transaction\ncreate index concurrently x on t (a)",
      "checks/nulls.sql": "-- cutover:check E_NULLS\n-- cutover:message Fill the column.\nselect 1 where false;",
    });
    const f = loadScriptFolder(dir);
    expect(f.scripts.map((s) => [s.seq, s.transactional])).toEqual([
      [9, true],
      [10, true],
      [11, false],
    ]);
    expect(f.checks).toEqual([expect.objectContaining({ code: "E_NULLS", message: "Fill the column." })]);
    expect(scriptChecksum("\uFEFFselect 1;\r\n")).toBe(scriptChecksum("select 1;"));
    expect(scriptChecksum("select 1;")).not.toBe(scriptChecksum("select 2;"));
    expect(scriptChecksum("select  1;")).not.toBe(scriptChecksum("select 1;"));
  });

  it("flags risky statements but ignores comments and string literals", () => {
    const dir = folder({
      "1_a.expand.sql": [
        "alter table users alter column id type bigint;",
        "alter table users add column token uuid default gen_random_uuid();",
        "create index users_email on users (email);",
        "lock table users in access exclusive mode;",
        "alter table orders add constraint fk foreign key (user_id) references users (id);",
        "update users set email = lower(email);",
        "alter table users drop column legacy;",
        "-- create index in a comment;",
        "insert into notes (body) values ('create index x on y (z); update t set a = 1');",
      ].join("\n"),
      "2_b.expand.sql": "alter table orders add constraint fk2 foreign key (user_id) references users (id) not valid;",
    });
    const [a, b] = loadScriptFolder(dir).scripts;
    expect(a?.risks.map((r) => [r.statement, r.kind])).toEqual([
      [1, "rewrite"],
      [2, "rewrite"],
      [3, "heavy-lock"],
      [4, "heavy-lock"],
      [5, "heavy-lock"],
      [6, "long-transaction"],
      [7, "destructive"],
      [7, "breaking"],
    ]);
    expect(b?.risks).toEqual([]);
  });

  it("splits statements around quotes, dollar bodies and comments", () => {
    const s = splitStatements(
      "create function f() returns int as $$ select 1; $$ language sql; select ';' /* ; */; select 2 -- ;\n",
    );
    expect(s.map((x) => x.text.split(/\s+/)[0])).toEqual(["create", "select", "select"]);
    const trigger = splitStatements(
      "create trigger t after insert on a begin insert into b values (1); update c set n = n + 1; end; select 1;",
    );
    expect(trigger.map((x) => x.text.split(/\s+/)[0])).toEqual(["create", "select"]);
  });
});

describe("Ed-Fi style script names", () => {
  it("accepts 'NNNN Table [tags].<phase>.sql', keeps the file name as the journal name and pairs its undo", () => {
    const dir = folder({
      "0001_tempdata.migrate.sql": "create table t (a int);",
      "0002 Student [Add Descriptor].migrate.sql": "alter table t add column b int;",
      "0002 Student [Add Descriptor].migrate.undo.sql": "alter table t drop column b;",
      "0003 [edfi] Create Descriptors.migrate.sql": "create table d (a int);",
    });
    const f = loadScriptFolder(dir);
    expect(f.scripts.map((s) => [s.seq, s.name, s.phase])).toEqual([
      [1, "0001_tempdata.migrate.sql", "migrate"],
      [2, "0002 Student [Add Descriptor].migrate.sql", "migrate"],
      [3, "0003 [edfi] Create Descriptors.migrate.sql", "migrate"],
    ]);
    expect(f.scripts[1]!.undo?.name).toBe("0002 Student [Add Descriptor].migrate.undo.sql");
  });

  it("refuses the ambiguous forms: no phase, a dot or a trailing space in the description, two spaces", () => {
    const dir = folder({
      "0001 Student [Add Descriptor].sql": "select 1;",
      "0002 Student.v3 [x].migrate.sql": "select 1;",
      "0003 Student .migrate.sql": "select 1;",
      "0004  Student.migrate.sql": "select 1;",
    });
    let message = "";
    try {
      loadScriptFolder(dir);
    } catch (e) {
      message = (e as Error).message;
    }
    for (const n of [
      "0001 Student [Add Descriptor].sql",
      "0002 Student.v3 [x].migrate.sql",
      "0003 Student .migrate.sql",
      "0004  Student.migrate.sql",
    ])
      expect(message).toContain(`${n}: not a migration script name`);
  });
});
