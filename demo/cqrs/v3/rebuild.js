// CQRS demo V3, the rebuild worker (CQRS Journey's MigrationToV3.InHouseProcessor): replays the
// event store into V3's read model, batch by batch, then keeps following it. "Ready" once it has
// caught up; each batch and its checkpoint commit together, so a restart resumes where it was.
import { open } from "../lib/store.js";
import { ensureReadModel } from "../lib/read-model.js";

const db = open(process.env, 2);
ensureReadModel(db);
const next = db.prepare("SELECT seq, payload FROM order_events WHERE seq > ? ORDER BY seq LIMIT 200");
const add = db.prepare(
  "INSERT INTO v3_seat_totals (seat_type, quantity) VALUES (?, ?) " +
    "ON CONFLICT(seat_type) DO UPDATE SET quantity = quantity + excluded.quantity",
);
const position = db.prepare("SELECT last_seq FROM v3_projection WHERE name = 'seat_totals'");
const save = db.prepare("UPDATE v3_projection SET last_seq = ?, state = ? WHERE name = 'seat_totals'");
const step = db.transaction(() => {
  const rows = next.all(position.get().last_seq);
  for (const r of rows) {
    const e = JSON.parse(r.payload);
    add.run(e.seatType, e.quantity);
  }
  const last = rows.length ? rows[rows.length - 1].seq : position.get().last_seq;
  save.run(last, rows.length < 200 ? "Ready" : "Rebuilding");
  return rows.length;
});

let stopping = false;
process.on("SIGTERM", () => (stopping = true));
// Timestamped: bench/seeds/cqrs.ts counts the rebuild (started to first Ready) as a wait the seed prescribes.
console.log(`${new Date().toISOString()} cqrs v3 rebuild worker started`);
let ready = false;
while (!stopping) {
  let n = -1; // -1: the batch rolled back
  try {
    n = step.immediate(); // the write lock first: see store.js handler()
  } catch (e) {
    // A busy database (another writer held it past the busy timeout): the batch rolled back; try again.
    if (!String(e?.code).startsWith("SQLITE_BUSY")) throw e;
    console.error(`rebuild: ${e.message}; retrying`);
  }
  if (!ready && n >= 0 && n < 200) {
    ready = true;
    console.log(`${new Date().toISOString()} cqrs v3 read model Ready`);
  }
  if (n <= 0) await new Promise((r) => setTimeout(r, 50));
}
process.exit(0);
