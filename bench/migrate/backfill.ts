/**
 * Backfill of 1,000,000 rows on PostgreSQL: migrate.backfill's batched,
 * checkpointed update versus one `UPDATE` of the whole table, each on its own
 * identical fresh table, each with a concurrent single-row writer whose
 * longest wait is reported.
 *
 *   npm run build:bench && node dist/bench/migrate/backfill.js [rows] [targetBatchMs]
 */
import os from "node:os";
import pg from "pg";
import { runBackfill } from "../../src/providers/sql/backfill.js";
import { createPgClient } from "../../src/providers/sql/pg-driver.js";
import { createBenchDb, createUsers, startWriter } from "./pg-fixture.js";

const ROWS = Number(process.argv[2] ?? 1_000_000);
const TARGET_BATCH_MS = Number(process.argv[3] ?? 25);

async function main(): Promise<void> {
  const db = await createBenchDb();
  try {
    await createUsers(db.url, "users_a", ROWS);
    await createUsers(db.url, "users_b", ROWS);

    // 0. The writer alone: its latency floor on this (shared, busy) machine.
    let writer = startWriter(db.url, "users_a", ROWS);
    await new Promise((r) => setTimeout(r, 3000));
    const idleWriter = await writer.stop();

    // 1. One UPDATE of the whole table.
    const c = new pg.Client({ connectionString: db.url });
    await c.connect();
    writer = startWriter(db.url, "users_a", ROWS);
    await new Promise((r) => setTimeout(r, 300));
    let t0 = performance.now();
    await c.query("update users_a set email_lower = lower(email)");
    const updateMs = performance.now() - t0;
    await new Promise((r) => setTimeout(r, 300));
    const updateWriter = await writer.stop();
    await c.end();

    // 2. migrate.backfill's engine, same work on an identical table.
    const client = createPgClient({
      connectionString: db.url,
      schema: "cutover",
      settings: { lockTimeoutMs: 2000, statementTimeoutMs: 0 },
    });
    writer = startWriter(db.url, "users_b", ROWS);
    await new Promise((r) => setTimeout(r, 300));
    t0 = performance.now();
    const r = await runBackfill(client, {
      name: "bench",
      table: "users_b",
      key: "id",
      set: "email_lower = lower(email)",
      batchSize: 1000,
      maxBatchSize: 50_000,
      targetBatchMs: TARGET_BATCH_MS,
      sleepMs: 0,
      runId: "bench",
      log: { info: () => {}, warn: (m) => console.error(m) },
    });
    const backfillMs = performance.now() - t0;
    await new Promise((r) => setTimeout(r, 300));
    const backfillWriter = await writer.stop();

    const rate = (ms: number) => Math.round((ROWS * 1000) / ms);
    const result = {
      rows: ROWS,
      machine:
        `${os.cpus().length} × ${os.cpus()[0]?.model ?? "?"}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, node ` +
        `${process.version}`,
      targetBatchMs: TARGET_BATCH_MS,
      writerAlone: idleWriter,
      singleUpdate: { ms: Math.round(updateMs), rowsPerSec: rate(updateMs), writer: updateWriter },
      backfill: {
        ms: Math.round(backfillMs),
        rowsPerSec: rate(backfillMs),
        batches: r.batches,
        writer: backfillWriter,
      },
      throughputRatio: +(updateMs / backfillMs).toFixed(2),
    };
    console.log(JSON.stringify(result, null, 2));
    console.log(
      `backfill ${result.backfill.rowsPerSec} rows/s vs single UPDATE ${result.singleUpdate.rowsPerSec} rows/s = ` +
        `${result.throughputRatio}× (target ≥ 0.5×); ` +
        `writer max wait ${result.backfill.writer.maxMs.toFixed(1)} ms during backfill (target ≤ 100 ms) vs ` +
        `${result.singleUpdate.writer.maxMs.toFixed(1)} ms during the single UPDATE (writer alone: max ` +
        `${idleWriter.maxMs.toFixed(1)} ms, p99 ${idleWriter.p99Ms.toFixed(1)} ms)`,
    );
  } finally {
    await db.drop();
  }
}

await main();
