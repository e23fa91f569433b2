/**
 * The example script folders (examples/migrations/) as a whole
 * release: PostgreSQL Tick/Tock rename, and the local demo on SQLite.
 */
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { migrateBackfill } from "../../src/actions/migrate-backfill.js";
import { migrateRun } from "../../src/actions/migrate-run.js";
import { sqlContext } from "../support/context.js";
import { createPgDb, createSqliteDb, q, qexec, type TestDb } from "./helpers.js";

const EXAMPLES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../examples/migrations");

describe("examples/migrations/users-rename on PostgreSQL", () => {
  let db: TestDb;
  beforeAll(async () => {
    db = await createPgDb();
  });
  afterAll(async () => db.drop());

  it("expand, backfill, old-app writes, then a later gated contract", async () => {
    const client = db.client();
    const ctx = (runId: string) => sqlContext(client, { runId, baseDir: EXAMPLES });
    // v1 is live with its table and data, one name too long for the new column.
    await qexec(db, "create table users (id bigint primary key, name text not null, email text)");
    await qexec(
      db,
      `insert into users select i, 'user ' || i, 'u' || i || '@x' from generate_series(1, 500) i; insert into ` +
        `users values (501, repeat('x', 300), null)`,
    );
    const expand = migrateRun.with.parse({
      dir: "users-rename",
      phase: "expand",
      release: "v2",
      preserve: [{ table: "users", columns: ["id", "email"] }],
    });
    await expect(migrateRun.run(expand, ctx("release-v2"))).rejects.toThrow(
      /E_NAME_TOO_LONG: full_name is varchar\(200\)[\s\S]*"id":"501"/,
    );
    await qexec(db, "update users set name = 'x' where id = 501");
    const out = await migrateRun.run(expand, ctx("release-v2"));
    expect(out.outputs?.scripts).toEqual([
      "0001_create_users.expand.sql",
      "0002_add_full_name.expand.sql",
      "0003_sync_full_name.expand.sql",
      "0004_index_full_name.expand.sql",
    ]);
    const bf = await migrateBackfill.run(
      migrateBackfill.with.parse({
        table: "users",
        key: "id",
        set: "full_name = name",
        where: "full_name is null",
        batchSize: 100,
      }),
      ctx("release-v2"),
    );
    expect(bf.outputs).toMatchObject({ rowsDone: 501, rowsTotal: 501 });
    // v1 still writes `name`; v2 writes `full_name`: the trigger keeps both in step.
    await qexec(
      db,
      "insert into users (id, name) values (600, 'old app'); insert into users (id, name, full_name) values " +
        "(601, 'new app', 'new app'); update users set full_name = 'renamed' where id = 1",
    );
    expect(await q(db, "select id, name, full_name from users where id in (1, 600, 601) order by id")).toEqual([
      { id: "1", name: "renamed", full_name: "renamed" },
      { id: "600", name: "old app", full_name: "old app" },
      { id: "601", name: "new app", full_name: "new app" },
    ]);
    const contract = migrateRun.with.parse({ dir: "users-rename", phase: "contract", release: "v2" });
    await expect(migrateRun.run(contract, ctx("cleanup-v2"))).rejects.toThrow(/previous app version may still be live/);
    const done = await migrateRun.run({ ...contract, previousVersionRetired: true }, ctx("cleanup-v2"));
    expect(done.outputs?.scripts).toEqual(["0005_drop_name.contract.sql"]);
    expect((await q(db, "select count(*) as n from users where full_name is null"))[0]?.n).toBe("0");
    await expect(q(db, "select name from users")).rejects.toThrow(/column "name" does not exist/);
  });
});

describe("examples/migrations/local-demo on SQLite", () => {
  let db: TestDb;
  beforeAll(async () => {
    db = await createSqliteDb();
  });
  afterAll(async () => db.drop());

  it("migrates the demo's v1 schema to v2 with the orders preserved", async () => {
    // The v1 schema and data as demo/lib/db.js creates them.
    await qexec(
      db,
      `CREATE TABLE seat_types (id TEXT PRIMARY KEY, name TEXT NOT NULL, quota INTEGER NOT NULL);
       CREATE TABLE orders (id INTEGER PRIMARY KEY AUTOINCREMENT, seat_type TEXT NOT NULL REFERENCES seat_types(id), ` +
        `quantity INTEGER NOT NULL, attendee TEXT NOT NULL, created_at TEXT NOT NULL);
       INSERT INTO seat_types VALUES ('general', 'General admission', 100), ('workshop', 'Workshop', 10);
       INSERT INTO orders (seat_type, quantity, attendee, created_at) VALUES ('general', 3, 'a', 'now'), ` +
        `('workshop', 2, 'b', 'now'), ('general', 1, 'c', 'now');
       PRAGMA user_version = 1;`,
    );
    const w = migrateRun.with.parse({
      dir: "local-demo",
      phase: "migrate",
      release: "v2",
      preserve: [{ table: "orders" }],
    });
    const out = await migrateRun.run(w, sqlContext(db.client(), { runId: "demo", baseDir: EXAMPLES }));
    expect(out.outputs?.applied).toBe(3);
    expect(await q(db, "select seat_type, remaining from seats_remaining order by seat_type")).toEqual([
      { seat_type: "general", remaining: 96 },
      { seat_type: "workshop", remaining: 8 },
    ]);
    expect(await q(db, "pragma user_version")).toEqual([{ user_version: 2 }]);
    const again = await migrateRun.run(w, sqlContext(db.client(), { runId: "demo-2", baseDir: EXAMPLES }));
    expect(again.outputs?.applied).toBe(0);
  });
});
