/**
 * Data-preservation hashing throughput on PostgreSQL: the snapshot migrate.run
 * takes of a preserved table (count + md5 over per-row md5s in key order)
 * versus the plain in-SQL baseline `md5(string_agg(row::text, '' order by id))`.
 *
 *   npm run build:bench && node dist/bench/migrate/hash.js [rows]
 */
import os from "node:os";
import { createPgClient } from "../../src/providers/sql/pg-driver.js";
import { snapshot } from "../../src/providers/sql/preserve.js";
import { createBenchDb, createUsers } from "./pg-fixture.js";

const ROWS = Number(process.argv[2] ?? 1_000_000);
const RUNS = 5;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

async function main(): Promise<void> {
  const db = await createBenchDb();
  try {
    await createUsers(db.url, "users", ROWS);
    const client = createPgClient({
      connectionString: db.url,
      schema: "cutover",
      settings: { lockTimeoutMs: 2000, statementTimeoutMs: 0 },
    });
    const conn = await client.connect("bench");
    const baseline: number[] = [];
    const ours: number[] = [];
    let rowCount = 0;
    // Interleave the two so cache warmth and background noise hit both alike.
    for (let i = 0; i < RUNS; i++) {
      let t0 = performance.now();
      await conn.query(
        `select md5(string_agg(row(id, email, created_at, email_lower)::text, '' order by id)) as h from users`,
      );
      baseline.push(performance.now() - t0);
      t0 = performance.now();
      const s = await snapshot(conn, client, { table: "users" });
      ours.push(performance.now() - t0);
      rowCount = s.rowCount;
    }
    await conn.close();
    const b = median(baseline);
    const o = median(ours);
    const result = {
      rows: rowCount,
      machine: `${os.cpus().length} × ${os.cpus()[0]?.model ?? "?"}, node ${process.version}`,
      baselineMs: Math.round(b),
      snapshotMs: Math.round(o),
      baselineRowsPerSec: Math.round((ROWS * 1000) / b),
      snapshotRowsPerSec: Math.round((ROWS * 1000) / o),
      ratio: +(b / o).toFixed(2),
    };
    console.log(JSON.stringify(result, null, 2));
    console.log(
      `snapshot ${result.snapshotRowsPerSec} rows/s vs md5(string_agg) ${result.baselineRowsPerSec} rows/s = ` +
        `${result.ratio}× (target ≥ 0.8×), median of ${RUNS}`,
    );
  } finally {
    await db.drop();
  }
}

await main();
