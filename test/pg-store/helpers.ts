/** A throw-away PostgreSQL database per test file, for the state store's tests. */
import { afterAll, beforeAll } from "vitest";
import { createPgDb, type TestDb } from "../migrate/helpers.js";
import { PgRunStore } from "../../src/providers/pg-state/index.js";

/** The database of this test file: created before its tests, dropped after them. */
export function pgDatabase(): { url(): string; store(schema?: string): PgRunStore } {
  let db: TestDb | undefined;
  const stores: PgRunStore[] = [];
  beforeAll(async () => {
    db = await createPgDb();
  });
  afterAll(async () => {
    for (const s of stores) await s.close();
    await db?.drop();
  });
  const url = () => {
    if (!db) throw new Error("the test database is created in beforeAll");
    return db.location;
  };
  return {
    url,
    store(schema = "cutover") {
      const s = new PgRunStore({ connectionString: url(), schema });
      stores.push(s);
      return s;
    },
  };
}
