// The migration's data check (CQRS Journey: the migration must carry every V1 order over):
// every order has exactly one OrderPlaced event. Exit 1, naming the difference, otherwise.
import { openDb, dbPath } from "../lib/db.js";

const db = openDb(process.argv[2] ?? dbPath());
const orders = db.prepare("SELECT count(*) AS n FROM orders").get().n;
const events = db.prepare("SELECT count(DISTINCT order_id) AS n, count(*) AS total FROM order_events").get();
const missing = db
  .prepare("SELECT count(*) AS n FROM orders o WHERE NOT EXISTS (SELECT 1 FROM order_events e WHERE e.order_id = o.id)")
  .get().n;
if (missing > 0 || events.total !== events.n) {
  console.error(
    `order_events incomplete: ${orders} orders, ${missing} without an event, ${events.total - events.n} duplicates`,
  );
  process.exit(1);
}
console.log(`order_events complete: ${orders} orders, ${events.n} events`);
