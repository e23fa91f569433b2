// CQRS demo V3, web role: V2's API plus /totals from V3's read model; /health tells whether the
// read model has caught up with the event store (the seed's "Ready").
import { webRole } from "../lib/web.js";
import { ensureReadModel, readModelStatus } from "../lib/read-model.js";

await webRole("v3", {
  minSchema: 2,
  freshSchema: 2,
  health: (db) => {
    ensureReadModel(db);
    return readModelStatus(db);
  },
  routes: (db) => ({
    "GET /totals": () => ({
      status: 200,
      body: { version: "v3", totals: db.prepare("SELECT seat_type AS seatType, quantity FROM v3_seat_totals").all() },
    }),
  }),
});
