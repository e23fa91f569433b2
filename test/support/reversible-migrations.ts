/**
 * The reversible-migration suites' fixture (test/migrate/undo.test.ts, test/migrate/undo-refusals.test.ts): a
 * describe per database of DBS (real PostgreSQL and SQLite), each with a fresh database and temporary script
 * folders, and each test's reversible migrate.run step on a journal scope of its own.
 */
import { afterAll, beforeAll, describe } from "vitest";
import type { SqlClient } from "../../src/providers/sql/driver.js";
import { DBS, scoped, tempFolders, type TestDb } from "../migrate/helpers.js";

/** A reversible step's parts: the client of its scope, its script folder, and the `with` of migrate.run. */
interface ReversibleStep {
  client: SqlClient;
  dir: string;
  w: { dir: string; phase: string; reversible: true };
}

export interface ReversibleSuite {
  /** The describe's database: created before its tests, dropped after them. */
  db(): TestDb;
  /** `files` as a script folder, run reversibly at `phase` with a journal in scope `scope` of the database. */
  step(scope: string, files: Record<string, string>, phase?: string): ReversibleStep;
}

/** `describe.each(DBS)(title, ...)`: `title` names the database with `%s`. */
export function describeEachDb(title: string, body: (suite: ReversibleSuite) => void): void {
  describe.each(DBS)(title, (_name, create) => {
    let current: TestDb | undefined;
    beforeAll(async () => {
      current = await create();
    });
    afterAll(() => current?.drop());
    const folder = tempFolders();
    const db = () => {
      if (!current) throw new Error("the database is created in beforeAll");
      return current;
    };
    body({
      db,
      step(scope, files, phase = "expand") {
        const dir = folder(files);
        return { client: scoped(db(), scope), dir, w: { dir, phase, reversible: true } };
      },
    });
  });
}
