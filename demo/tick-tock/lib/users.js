// The Tick/Tock demo's data: one `users` table. v1 keeps a person's whole name in `name`; v2 splits it
// into `first_name` and `last_name` (the seed's "splitting column", made non-breaking in two cycles:
// expand + copy now, drop the old column in a later, separate release).
import { setInterval } from "node:timers";
import { openDb, dbPath } from "../../lib/db.js";

export function openUsers(env = process.env) {
  return openDb(dbPath(env));
}

/** v1's schema (a fresh database); an existing one is left as it is. */
export function createV1Schema(db) {
  db.exec(`
    CREATE TABLE IF NOT EXISTS users (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL, created_at TEXT NOT NULL);
    CREATE TABLE IF NOT EXISTS app_instances (
      slot TEXT NOT NULL, version TEXT NOT NULL, pid INTEGER NOT NULL, seen_at INTEGER NOT NULL, PRIMARY KEY (slot, pid)
    );
  `);
}

const HEARTBEAT_MS = 1000;

/**
 * Which versions use the database: each process says so every second and takes its row away when it stops.
 * The contract's preflight reads it (tick-tock-contract.yaml: refused while v1 runs, live or as the warm
 * rollback target). On PostgreSQL, pg_stat_activity's application_name tells the same without a table.
 */
export function announce(db, version, env = process.env) {
  const slot = env.CUTOVER_SLOT ?? "";
  const beat = db.prepare(
    "INSERT INTO app_instances (slot, version, pid, seen_at) VALUES (?, ?, ?, CAST(strftime('%s', 'now') AS INTEGER)) " +
      "ON CONFLICT (slot, pid) DO UPDATE SET version = excluded.version, seen_at = excluded.seen_at",
  );
  const tick = () => {
    try {
      beat.run(slot, version, process.pid);
    } catch (e) {
      console.error(`heartbeat: ${e.message}`); // a busy database: the next beat tries again
    }
  };
  tick();
  setInterval(tick, HEARTBEAT_MS).unref();
  // Registered before serve()'s own handler, so the row is gone before the process exits.
  const leave = () => {
    try {
      db.prepare("DELETE FROM app_instances WHERE slot = ? AND pid = ?").run(slot, process.pid);
    } catch (e) {
      console.error(`leaving: ${e.message}`);
    }
  };
  process.on("SIGTERM", leave);
  process.on("SIGINT", leave);
}

/** The columns `users` has now (re-read after any schema change: the contract drops `name` under a running v2). */
export function columns(db) {
  return new Set(db.pragma("table_info(users)").map((c) => c.name));
}

/**
 * A whole name split as the expand's backfill and sync trigger split it in SQL
 * (demo/tick-tock/migrations): first word, then the rest; no space means no last name.
 */
export function splitName(name) {
  const t = name.trim();
  const i = t.indexOf(" ");
  return i < 0 ? { first: t, last: "" } : { first: t.slice(0, i), last: t.slice(i + 1).trim() };
}

/**
 * The name a request gives: `name` (a person's whole name), or `attendee`, which the shared load generator
 * (bench/local/loadgen.ts) sends for the conference demo.
 */
export function nameOf(body) {
  const raw = typeof body.name === "string" ? body.name : typeof body.attendee === "string" ? body.attendee : "";
  return raw.trim().slice(0, 200);
}

export function readLimit(url) {
  const n = Number(url.searchParams.get("limit") ?? 10);
  return Number.isInteger(n) && n > 0 && n <= 100 ? n : 10;
}
