// The demo's database: one SQLite file shared by both slots, like a production database
// shared by blue and green. PRAGMA user_version is the schema version (1 = v1, 2 = v2).
import Database from "better-sqlite3";
import path from "node:path";

export function dbPath(env = process.env) {
  if (env.DEMO_DB) return env.DEMO_DB;
  return path.join(env.CUTOVER_LOCAL_DIR ?? process.cwd(), "demo.sqlite");
}

export function openDb(file) {
  const db = new Database(file);
  // WAL lets readers in one slot run while the other slot (or the migration) writes.
  db.pragma("journal_mode = WAL");
  db.pragma("busy_timeout = 5000");
  db.pragma("synchronous = NORMAL");
  return db;
}

export function schemaVersion(db) {
  return db.pragma("user_version", { simple: true });
}

/** The v1 schema: seat types with a quota, and orders. */
export function createV1Schema(db) {
  db.transaction(() => {
    if (schemaVersion(db) >= 1) return;
    db.exec(`
      CREATE TABLE IF NOT EXISTS seat_types (id TEXT PRIMARY KEY, name TEXT NOT NULL, quota INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS orders (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        seat_type TEXT NOT NULL REFERENCES seat_types(id),
        quantity INTEGER NOT NULL,
        attendee TEXT NOT NULL,
        created_at TEXT NOT NULL
      );
      INSERT OR IGNORE INTO seat_types VALUES ('general', 'General admission', 1000000000);
      INSERT OR IGNORE INTO seat_types VALUES ('workshop', 'Workshop', 1000000000);
    `);
    db.pragma("user_version = 1");
  })();
}

/**
 * A fresh v2 install (no database yet): the v2 schema at once. An existing v1
 * database is migrated by the release instead, with the journaled scripts in
 * examples/migrations/local-demo/ (the same change, each with its undo).
 */
export function migrateV1toV2(db) {
  return db.transaction(() => {
    if (schemaVersion(db) >= 2) return false;
    db.exec(`
      ALTER TABLE orders ADD COLUMN status TEXT NOT NULL DEFAULT 'confirmed';
      CREATE TABLE seats_remaining (seat_type TEXT PRIMARY KEY REFERENCES seat_types(id), remaining INTEGER NOT NULL);
      INSERT INTO seats_remaining (seat_type, remaining)
        SELECT s.id, s.quota - COALESCE((SELECT SUM(o.quantity) FROM orders o WHERE o.seat_type = s.id), 0)
        FROM seat_types s;
    `);
    db.pragma("user_version = 2");
    return true;
  })();
}
