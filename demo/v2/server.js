// Demo app, version 2: adds the "remaining seats" read model (schema 2).
// Deployed before the migration runs (blue/green), so until the schema is 2 it
// serves reads from the v1 tables and refuses writes: the migration is its gate.
import { openDb, dbPath, createV1Schema, migrateV1toV2, schemaVersion } from "../lib/db.js";
import { serve, httpError } from "../lib/server.js";
import { parseOrder, recentOrders, readLimit } from "../lib/orders.js";

const db = openDb(dbPath());
if (schemaVersion(db) === 0) {
  // A fresh install: straight to the v2 schema.
  createV1Schema(db);
  migrateV1toV2(db);
}

const migrated = () => schemaVersion(db) >= 2;

// Run with .immediate(): it reads the seats, then writes. A deferred transaction upgrades to the write lock only at
// its first write, and in WAL mode that fails at once (SQLITE_BUSY_SNAPSHOT, busy_timeout does not help) if the
// other slot wrote since the read, which happens around a swap, when both versions take orders.
const placeOrder = db.transaction((order) => {
  const seats = db.prepare("SELECT remaining FROM seats_remaining WHERE seat_type = ?").get(order.seatType);
  if (!seats) throw httpError(400, `unknown seat type ${order.seatType}`);
  if (seats.remaining < order.quantity) throw httpError(409, "not enough seats left");
  const info = db
    .prepare("INSERT INTO orders (seat_type, quantity, attendee, created_at, status) VALUES (?, ?, ?, ?, 'confirmed')")
    .run(order.seatType, order.quantity, order.attendee, new Date().toISOString());
  db.prepare("UPDATE seats_remaining SET remaining = remaining - ? WHERE seat_type = ?").run(
    order.quantity,
    order.seatType,
  );
  return Number(info.lastInsertRowid);
});

serve({
  version: "v2",
  schema: () => schemaVersion(db),
  routes: {
    "GET /orders": (_req, _body, url) => ({
      status: 200,
      body: { version: "v2", orders: recentOrders(db, readLimit(url)) },
    }),
    "GET /seats": () => {
      if (!migrated()) throw httpError(503, "seat availability is being migrated");
      const seats = db.prepare("SELECT seat_type AS seatType, remaining FROM seats_remaining ORDER BY seat_type").all();
      return { status: 200, body: { version: "v2", seats } };
    },
    "POST /orders": (_req, body) => {
      if (!migrated()) throw httpError(503, "schema 2 required: run the migration first");
      const id = placeOrder.immediate(parseOrder(body));
      return { status: 201, body: { version: "v2", id } };
    },
  },
});
