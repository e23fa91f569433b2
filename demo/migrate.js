#!/usr/bin/env node
// The demo's data migration, run by the release playbook as an `exec` step:
//   node demo/migrate.js --dir <env dir> | --db <file> [--run <run id>] [--down]
// Idempotent (PRAGMA user_version says what is done), one transaction per direction.
// With --run, the migration records which run applied it, and --down rolls back
// only that run's migration: aborting a release whose migration found nothing to
// do must not take the schema away from the version already live.
import { openDb, createV1Schema, migrateV1toV2, rollbackV2toV1, schemaVersion, appliedBy } from "./lib/db.js";
import fs from "node:fs";
import path from "node:path";

const args = process.argv.slice(2);
const flag = (name) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const file = flag("--db") ?? (flag("--dir") ? path.join(flag("--dir"), "demo.sqlite") : process.env.DEMO_DB);
if (!file) {
  console.error("usage: migrate.js --db <sqlite file> | --dir <local env dir> [--down]");
  process.exit(2);
}
if (!fs.existsSync(file)) {
  console.error(`migrate: no database at ${file}`);
  process.exit(1);
}
const runId = flag("--run") ?? null;
const db = openDb(file);
const before = schemaVersion(db);
if (args.includes("--down")) {
  const by = appliedBy(db);
  if (runId !== null && before >= 2 && by !== runId) {
    console.log(`schema 2 was applied by ${by ? `run ${by}` : "another run"}, not ${runId}: leaving it`);
    db.close();
    process.exit(0);
  }
  rollbackV2toV1(db);
} else {
  createV1Schema(db);
  migrateV1toV2(db, runId);
}
const after = schemaVersion(db);
const orders = db.prepare("SELECT COUNT(*) AS n FROM orders").get().n;
console.log(before === after ? `schema already at ${after}; nothing to do (${orders} orders)` : `schema ${before} -> ${after} (${orders} orders)`);
db.close();
