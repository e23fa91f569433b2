/**
 * db.backup and db.clone through the real engine, on real PostgreSQL (pg_dump, pg_restore, psql) and
 * SQLite (the online backup API). The CQRS Journey recovery path: back up, migrate, fail, abort: the data
 * and schema are the backup's again, the new table is gone, and the migration journal agrees with the
 * database (the script is pending again and a new run applies it). A clone is migrated while the source
 * keeps its data and journal, and abort drops it.
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import Database from "better-sqlite3";
import { afterAll, describe, expect, it } from "vitest";
import { decide, drive, startRun } from "../../src/api/run.js";
import type { RunEvent } from "../../src/engine/events.js";
import { createPgDb, createSqliteDb, type TestDb } from "./helpers.js";

const MIGRATION = {
  "0001_tags.migrate.sql":
    "create table tags (id integer primary key, label text not null);\n" +
    "insert into tags (id, label) values (1, 'new');\n" +
    "update orders set note = 'migrated';",
};

interface Dialect {
  name: "postgres" | "sqlite";
  make(): Promise<TestDb>;
  entry(db: TestDb): string;
  cloneEntry(db: TestDb, clone: string): string;
  exec(location: string, sql: string): Promise<void>;
  query(location: string, sql: string): Promise<Record<string, unknown>[]>;
}

const withPg = async <T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> => {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
};

const DIALECTS: Dialect[] = [
  {
    name: "postgres",
    make: createPgDb,
    entry: (db) => `{ provider: postgres, url: "${db.location}" }`,
    cloneEntry: (db, clone) => {
      const u = new URL(db.location);
      u.pathname = `/${clone}`;
      return `{ provider: postgres, url: "${u.toString()}" }`;
    },
    exec: (url, sql) => withPg(url, async (c) => void (await c.query(sql))),
    query: (url, sql) => withPg(url, async (c) => (await c.query(sql)).rows as Record<string, unknown>[]),
  },
  {
    name: "sqlite",
    make: createSqliteDb,
    entry: (db) => `{ provider: sqlite, path: "${db.location}" }`,
    cloneEntry: (db, clone) => `{ provider: sqlite, path: "${path.join(path.dirname(db.location), clone)}" }`,
    exec: async (file, sql) => {
      const d = new Database(file);
      try {
        d.exec(sql);
      } finally {
        d.close();
      }
    },
    query: async (file, sql) => {
      const d = new Database(file, { readonly: true });
      try {
        return d.prepare(sql).all() as Record<string, unknown>[];
      } finally {
        d.close();
      }
    },
  },
];

const JOURNAL = { postgres: "cutover.migration_journal", sqlite: "cutover_migration_journal" } as const;
const tablesSql = {
  postgres: "select table_name as name from information_schema.tables where table_schema = 'public' order by 1",
  sqlite:
    "select name from sqlite_master where type = 'table' and name not like 'cutover%' and name not like 'sqlite%' order by 1",
} as const;

function workspace(playbook: string | ((dir: string) => string)): { dir: string; file: string } {
  const dir = mkdtempSync(path.join(os.tmpdir(), "cutover-snapshots-"));
  mkdirSync(path.join(dir, "scripts"));
  for (const [name, text] of Object.entries(MIGRATION)) writeFileSync(path.join(dir, "scripts", name), text);
  const file = path.join(dir, "release.yaml");
  writeFileSync(file, typeof playbook === "string" ? playbook : playbook(dir));
  return { dir, file };
}

async function runToEnd(file: string, dir: string, params: Record<string, string> = {}) {
  const events: RunEvent[] = [];
  const session = await startRun(file, {
    stateDir: path.join(dir, ".cutover"),
    params,
    onEvent: (e) => events.push(e),
  });
  const state = await drive(session);
  return { state, events, runId: session.journal.runId };
}

describe.each(DIALECTS)("db.backup and db.clone on $name", (d) => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c();
  });

  async function seeded(): Promise<TestDb> {
    const db = await d.make();
    cleanups.push(() => db.drop());
    await d.exec(
      db.location,
      "create table orders (id integer primary key, note text); " +
        "insert into orders (id, note) values (1, 'a'), (2, 'b'), (3, 'c');",
    );
    return db;
  }

  it("abort after a failed step restores the backup and realigns the journal; a new run migrates again", async () => {
    const db = await seeded();
    const { dir, file } = workspace(`version: 1
name: backup-${d.name}
environment:
  state: { provider: file }
  db: ${d.entry(db)}
params:
  fail: { type: string, default: "yes" }
steps:
  - id: backup
    action: db.backup
    with: { restoreOnAbort: true }
  - id: migrate
    action: migrate.run
    with: { dir: scripts, phase: migrate }
  - id: smoke
    action: exec
    when: \${{ params.fail == 'yes' }}
    with: { command: ${JSON.stringify([process.execPath, "-e", "process.exit(3)"])} }
    onFailure: abort
`);
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));

    const first = await runToEnd(file, dir);
    expect(first.state.status).toBe("aborted");
    const restored = first.events.find((e) => e.type === "undo.succeeded" && e.stepId === "backup");
    expect(restored).toBeDefined();
    // Data and schema as they were: the migration's table is gone and its update is undone.
    expect((await d.query(db.location, tablesSql[d.name])).map((r) => r.name)).toEqual(["orders"]);
    expect(await d.query(db.location, "select id, note from orders order by id")).toEqual([
      { id: 1, note: "a" },
      { id: 2, note: "b" },
      { id: 3, note: "c" },
    ]);
    // The journal kept its history and says the script is pending again.
    const rows = await d.query(db.location, `select seq, status, note from ${JOURNAL[d.name]} order by id`);
    expect(rows.map((r) => r.status)).toEqual(["succeeded", "undone"]);
    expect(String(rows[1]!.note)).toMatch(/^restored from backup backup-1\.backup taken .* \(step backup\)$/);
    // The backup file is private to its owner.
    const backupFile = first.events.find((e) => e.type === "step.succeeded" && e.stepId === "backup") as
      { outputs?: { file?: string } } | undefined;
    expect(backupFile?.outputs?.file).toBeTruthy();

    const second = await runToEnd(file, dir, { fail: "no" });
    expect(second.state.status).toBe("succeeded");
    expect((await d.query(db.location, tablesSql[d.name])).map((r) => r.name)).toEqual(["orders", "tags"]);
    const after = await d.query(db.location, `select status from ${JOURNAL[d.name]} order by id`);
    expect(after.map((r) => r.status)).toEqual(["succeeded", "undone", "succeeded"]);
  });

  it("a backup file changed since it was taken is refused: abort pauses and restores nothing", async () => {
    const db = await seeded();
    // The middle step stands for someone changing the backup file after it was taken.
    const { dir, file } = workspace(
      (at) => `version: 1
name: tamper-${d.name}
environment:
  state: { provider: file }
  db: ${d.entry(db)}
steps:
  - id: backup
    action: db.backup
    with: { restoreOnAbort: true, into: backups }
  - id: write
    action: exec
    with: { command: ${JSON.stringify([
      process.execPath,
      "-e",
      "require('fs').appendFileSync(process.argv[1], 'x')",
      path.join(at, "backups", "backup-1.backup"),
    ])} }
  - id: smoke
    action: exec
    with: { command: ${JSON.stringify([process.execPath, "-e", "process.exit(3)"])} }
    onFailure: abort
`,
    );
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const backup = path.join(dir, "backups", "backup-1.backup");
    await d.exec(db.location, "insert into orders (id, note) values (4, 'after backup')");
    const run = await runToEnd(file, dir);
    expect(existsSync(backup)).toBe(true);
    expect(run.state.status).not.toBe("aborted");
    const failed = run.events.find((e) => e.type === "undo.failed" && e.stepId === "backup") as
      { error?: { message?: string } } | undefined;
    expect(failed?.error?.message).toMatch(/changed since it was taken/);
    expect((await d.query(db.location, "select count(*) as n from orders"))[0]!.n).toEqual(
      d.name === "postgres" ? "4" : 4,
    );
  });

  it("clone: migrating the clone leaves the source as it was; abort drops the clone", async () => {
    const db = await seeded();
    const clone = `${d.name === "postgres" ? "" : "clone-"}cutover_clone_${process.pid}_${Math.random().toString(36).slice(2, 7)}`;
    const { dir, file } = workspace(`version: 1
name: clone-${d.name}
environment:
  state: { provider: file }
  db: ${d.entry(db)}
  clone: ${d.cloneEntry(db, clone)}
steps:
  - id: clone
    action: db.clone
    with: { name: ${clone} }
  - id: migrate-clone
    action: migrate.run
    with: { target: clone, dir: scripts, phase: migrate }
  - id: check
    action: exec
    with: { command: ${JSON.stringify([process.execPath, "-e", "process.exit(3)"])} }
    onFailure: pause
`);
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const cloneLocation =
      d.name === "postgres"
        ? (() => {
            const u = new URL(db.location);
            u.pathname = `/${clone}`;
            return u.toString();
          })()
        : path.join(path.dirname(db.location), clone);
    cleanups.push(() =>
      d.name === "postgres"
        ? d.exec(db.location, `drop database if exists "${clone}" with (force)`).catch(() => undefined)
        : undefined,
    );

    // The source keeps serving during the clone: an open session (CREATE DATABASE … TEMPLATE would refuse it).
    const serving = d.name === "postgres" ? new pg.Client({ connectionString: db.location }) : undefined;
    await serving?.connect();
    await serving?.query("begin; select count(*) from orders");
    const run = await runToEnd(file, dir).finally(() => serving?.end());
    expect(run.state.status).toBe("paused");
    // The clone is migrated; the source is not, and its journal has no row.
    expect((await d.query(cloneLocation, tablesSql[d.name])).map((r) => r.name)).toEqual(["orders", "tags"]);
    expect(await d.query(cloneLocation, "select note from orders where id = 1")).toEqual([{ note: "migrated" }]);
    expect((await d.query(db.location, tablesSql[d.name])).map((r) => r.name)).toEqual(["orders"]);
    expect(await d.query(db.location, "select note from orders where id = 1")).toEqual([{ note: "a" }]);

    const session = await decide(run.runId, "abort", { stateDir: path.join(dir, ".cutover"), reason: "test" });
    const aborted = await drive(session);
    expect(aborted.status).toBe("aborted");
    if (d.name === "postgres") {
      expect(await d.query(db.location, `select datname from pg_database where datname = '${clone}'`)).toEqual([]);
    } else {
      expect(existsSync(cloneLocation)).toBe(false);
    }
    expect(await d.query(db.location, "select count(*) as n from orders")).toEqual([
      { n: d.name === "postgres" ? "3" : 3 },
    ]);
  });
});

describe("db.backup of a database named by a secret URL", () => {
  it("restores although the journal shows the database as *** (a URL without a password is its own description)", async () => {
    const db = await createPgDb();
    const { dir, file } = workspace(`version: 1
name: backup-secret-url
environment:
  state: { provider: file }
  db: { provider: postgres, urlEnv: SNAPSHOT_DB_URL }
steps:
  - id: backup
    action: db.backup
    with: { restoreOnAbort: true }
  - id: migrate
    action: migrate.run
    with: { dir: scripts, phase: migrate }
  - id: smoke
    action: exec
    with: { command: ${JSON.stringify([process.execPath, "-e", "process.exit(3)"])} }
    onFailure: abort
`);
    process.env.SNAPSHOT_DB_URL = db.location;
    try {
      await DIALECTS[0]!.exec(db.location, "create table orders (id integer primary key, note text)");
      const run = await runToEnd(file, dir);
      expect(run.state.status).toBe("aborted");
      expect(run.events.some((e) => e.type === "undo.succeeded" && e.stepId === "backup")).toBe(true);
      expect(
        (await DIALECTS[0]!.query(db.location, tablesSql.postgres)).map((r) => r.name),
        "the migration's table is gone",
      ).toEqual(["orders"]);
    } finally {
      delete process.env.SNAPSHOT_DB_URL;
      rmSync(dir, { recursive: true, force: true });
      await db.drop();
    }
  });
});

describe("db.backup of a SQLite database in WAL mode (an app's database while it serves)", () => {
  it("is one self-contained file: no -wal or -shm beside it, and it opens alone, anywhere", async () => {
    const db = await createSqliteDb();
    const { dir, file } = workspace(`version: 1
name: backup-wal
environment:
  state: { provider: file }
  db: { provider: sqlite, path: "${db.location}" }
steps:
  - id: backup
    action: db.backup
`);
    try {
      const app = new Database(db.location);
      app.pragma("journal_mode = WAL");
      app.exec("create table orders (id integer primary key, note text); insert into orders values (1, 'a'), (2, 'b')");
      // The app keeps its connection (and its WAL) open, as a serving app does.
      const run = await runToEnd(file, dir);
      app.close();
      expect(run.state.status).toBe("succeeded");
      const done = run.events.find((e) => e.type === "step.succeeded" && e.stepId === "backup") as
        { outputs?: { file?: string } } | undefined;
      const backup = String(done?.outputs?.file);
      expect(readdirSync(path.dirname(backup))).toEqual([path.basename(backup)]);
      // Copied alone elsewhere (as a backup is kept), it holds the data and needs no other file.
      const elsewhere = path.join(mkdtempSync(path.join(os.tmpdir(), "cutover-backup-copy-")), "copy.db");
      copyFileSync(backup, elsewhere);
      const copy = new Database(elsewhere, { readonly: true });
      try {
        expect(copy.pragma("journal_mode", { simple: true })).toBe("delete");
        expect(copy.prepare("select id, note from orders order by id").all()).toEqual([
          { id: 1, note: "a" },
          { id: 2, note: "b" },
        ]);
      } finally {
        copy.close();
        rmSync(path.dirname(elsewhere), { recursive: true, force: true });
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
      await db.drop();
    }
  });
});
