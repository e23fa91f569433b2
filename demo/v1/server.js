// Demo app, version 1: seat types and orders (schema 1).
import { openDb, dbPath, createV1Schema, schemaVersion } from "../lib/db.js";
import { serve, httpError } from "../lib/server.js";
import { parseOrder, recentOrders, readLimit } from "../lib/orders.js";

const db = openDb(dbPath());
// A fresh database gets the v1 schema; a v2 database is read compatibly (v2 only added things).
createV1Schema(db);

const insert = db.prepare("INSERT INTO orders (seat_type, quantity, attendee, created_at) VALUES (?, ?, ?, ?)");
const seatType = db.prepare("SELECT id FROM seat_types WHERE id = ?");

serve({
  version: "v1",
  schema: () => schemaVersion(db),
  routes: {
    "GET /orders": (_req, _body, url) => ({
      status: 200,
      body: { version: "v1", orders: recentOrders(db, readLimit(url)) },
    }),
    "POST /orders": (_req, body) => {
      const order = parseOrder(body);
      if (!seatType.get(order.seatType)) throw httpError(400, `unknown seat type ${order.seatType}`);
      const info = insert.run(order.seatType, order.quantity, order.attendee, new Date().toISOString());
      return { status: 201, body: { version: "v1", id: Number(info.lastInsertRowid) } };
    },
  },
});
