// V3's read model: seats ordered per seat type, projected from the event store by the
// rebuild worker (CQRS Journey's MigrationToV3.InHouseProcessor). V2 never reads these tables.
export function ensureReadModel(db) {
  db.exec(`
    CREATE TABLE IF NOT EXISTS v3_seat_totals (seat_type TEXT PRIMARY KEY, quantity INTEGER NOT NULL);
    CREATE TABLE IF NOT EXISTS v3_projection (name TEXT PRIMARY KEY, last_seq INTEGER NOT NULL, state TEXT NOT NULL);
    INSERT OR IGNORE INTO v3_projection (name, last_seq, state) VALUES ('seat_totals', 0, 'Rebuilding');
  `);
}

/** Ready once the projection has caught up with the event store; `behind` = events not yet projected. */
export function readModelStatus(db) {
  const p = db.prepare("SELECT last_seq, state FROM v3_projection WHERE name = 'seat_totals'").get();
  const head = db.prepare("SELECT coalesce(max(seq), 0) AS seq FROM order_events").get().seq;
  return { readModel: p?.state ?? "Missing", behind: head - (p?.last_seq ?? 0) };
}
