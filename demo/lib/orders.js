// Order validation and queries common to v1 and v2.
import { httpError } from "./server.js";

export function parseOrder(body) {
  const seatType = typeof body.seatType === "string" ? body.seatType : "general";
  const quantity = Number.isInteger(body.quantity) ? body.quantity : 1;
  const attendee = typeof body.attendee === "string" && body.attendee ? body.attendee.slice(0, 200) : "anonymous";
  if (quantity < 1 || quantity > 100) throw httpError(400, "quantity must be 1..100");
  return { seatType, quantity, attendee };
}

export function recentOrders(db, limit) {
  return db
    .prepare(
      "SELECT id, seat_type AS seatType, quantity, attendee, created_at AS createdAt FROM orders ORDER BY id " +
        "DESC LIMIT ?",
    )
    .all(limit);
}

export function readLimit(url) {
  const n = Number(url.searchParams.get("limit") ?? 10);
  return Number.isInteger(n) && n > 0 && n <= 100 ? n : 10;
}
