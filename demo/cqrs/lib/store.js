// The CQRS demo's database (SQLite, shared by both slots): V1 has `orders` and the
// `handled_messages` log that makes the handlers idempotent; V2 adds `order_events`, the
// new event store the migration fills (schema version 2 in PRAGMA user_version).
import { openDb, dbPath, schemaVersion } from "../../lib/db.js";

/** Open the database; a fresh one gets the schema of `freshSchema` (V1: 1; V2 and later: 2, with the event store). */
export function open(env = process.env, freshSchema = 1) {
  const db = openDb(dbPath(env));
  db.transaction(() => {
    db.exec(`
      CREATE TABLE IF NOT EXISTS orders (
        id TEXT PRIMARY KEY, seat_type TEXT NOT NULL, quantity INTEGER NOT NULL, attendee TEXT NOT NULL,
        created_at TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS handled_messages (
        message_id TEXT PRIMARY KEY, handled_by TEXT NOT NULL, deliveries INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS processor_status (
        slot TEXT PRIMARY KEY, version TEXT NOT NULL, state TEXT NOT NULL, at TEXT NOT NULL);
    `);
    if (schemaVersion(db) !== 0) return;
    if (freshSchema >= 2) {
      db.exec(`CREATE TABLE order_events (
        seq INTEGER PRIMARY KEY AUTOINCREMENT, order_id TEXT NOT NULL, type TEXT NOT NULL, payload TEXT NOT NULL)`);
    }
    db.pragma(`user_version = ${freshSchema}`);
  }).immediate();
  return db;
}

/** What the command processor of `slot` is doing: running, pausing, paused (the seed's worker "Ready"). */
export function setProcessorState(db, slot, version, state) {
  db.prepare(
    "INSERT INTO processor_status (slot, version, state, at) VALUES (?, ?, ?, ?) " +
      "ON CONFLICT(slot) DO UPDATE SET version = excluded.version, state = excluded.state, at = excluded.at",
  ).run(slot, version, state, new Date().toISOString());
}

export function processorState(db, slot) {
  return db.prepare("SELECT state FROM processor_status WHERE slot = ?").get(slot)?.state ?? "unknown";
}

export { schemaVersion };

/** Handle a PlaceOrder command once: a redelivered message only counts its delivery. */
export function handler(db, version, extra = () => undefined) {
  const seen = db.prepare("SELECT 1 FROM handled_messages WHERE message_id = ?");
  const insertOrder = db.prepare(
    "INSERT INTO orders (id, seat_type, quantity, attendee, created_at) VALUES (?, ?, ?, ?, ?)",
  );
  const log = db.prepare(
    "INSERT INTO handled_messages (message_id, handled_by, deliveries) VALUES (?, ?, 1) " +
      "ON CONFLICT(message_id) DO UPDATE SET deliveries = deliveries + 1",
  );
  const handle = db.transaction((cmd) => {
    if (!seen.get(cmd.id)) {
      insertOrder.run(cmd.id, cmd.seatType, cmd.quantity, cmd.attendee, new Date().toISOString());
      extra(cmd);
    }
    log.run(cmd.id, version);
  });
  // BEGIN IMMEDIATE: the write lock is taken (waiting up to the busy timeout) before the first read. A deferred
  // transaction that reads, then writes after another process committed, fails at once with SQLITE_BUSY_SNAPSHOT
  // in WAL mode, whatever the busy timeout.
  return (cmd) => handle.immediate(cmd);
}

export function recentOrders(db, limit) {
  return db
    .prepare("SELECT id, seat_type AS seatType, quantity, attendee FROM orders ORDER BY created_at DESC LIMIT ?")
    .all(limit);
}
