/**
 * Calling migrate.run and its undo directly (as the engine
 * does), and schema probes, for the reversible-migration tests.
 */
import { migrateRun } from "../../src/actions/migrate-run.js";
import type { Json } from "../../src/core/json.js";
import type { SqlClient } from "../../src/providers/sql/driver.js";
import { readJournal } from "../../src/providers/sql/journal.js";
import { sqlContext } from "../support/context.js";
import { q, type TestDb } from "./helpers.js";

export const act = (client: SqlClient, runId: string, w: Record<string, unknown>) =>
  migrateRun.run(migrateRun.with.parse(w), sqlContext(client, { runId }));

export async function undo(client: SqlClient, runId: string, w: Record<string, unknown>, recorded: Json | undefined) {
  const ctx = sqlContext(client, { runId });
  await migrateRun.undoRun!(migrateRun.with.parse(w), { ...ctx, recorded: recorded ?? null });
  return ctx.log.lines;
}

export async function journal(client: SqlClient) {
  const conn = await client.connect("t");
  try {
    return await readJournal(conn, client.sql);
  } finally {
    await conn.close();
  }
}

export async function hasColumn(db: TestDb, table: string, column: string): Promise<boolean> {
  const rows =
    db.dialect === "postgres"
      ? await q(db, "select count(*) as n from information_schema.columns where table_name = $1 and column_name = $2", [
          table,
          column,
        ])
      : await q(db, `select count(*) as n from pragma_table_info('${table}') where name = $1`, [column]);
  return Number(rows[0]?.n) > 0;
}

export const tableExists = (db: TestDb, table: string) =>
  q(db, `select count(*) as n from ${table}`).then(
    () => true,
    () => false,
  );
