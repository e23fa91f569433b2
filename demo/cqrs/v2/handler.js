// CQRS demo V2, worker role: writes orders and appends each to the event store (order_events).
import { workerRole } from "../lib/handler.js";
await workerRole("v2", (db) => {
  const append = db.prepare("INSERT INTO order_events (order_id, type, payload) VALUES (?, 'OrderPlaced', ?)");
  return (cmd) => append.run(cmd.id, JSON.stringify(cmd));
});
