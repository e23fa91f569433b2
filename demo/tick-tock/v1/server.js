// Tick/Tock demo, version 1: people with one `name` column. It knows nothing of the split; on the expanded
// schema it keeps working because the expand only added nullable columns and a trigger that splits what it
// writes (demo/tick-tock/migrations/0002).
import { serve, httpError } from "../../lib/server.js";
import { announce, openUsers, createV1Schema, nameOf, readLimit } from "../lib/users.js";

const db = openUsers();
createV1Schema(db);

const insert = db.prepare("INSERT INTO users (name, created_at) VALUES (?, ?)");
const recent = db.prepare("SELECT id, name FROM users ORDER BY id DESC LIMIT ?");
const one = db.prepare("SELECT id, name FROM users WHERE id = ?");

announce(db, "v1");

serve({
  version: "v1",
  schema: () => 1,
  routes: {
    "GET /users": (_req, _body, url) => ({ status: 200, body: { version: "v1", users: recent.all(readLimit(url)) } }),
    "GET /user": (_req, _body, url) => {
      const row = one.get(Number(url.searchParams.get("id")));
      if (!row) throw httpError(404, "no such user");
      return { status: 200, body: { version: "v1", user: row } };
    },
    "POST /users": (_req, body) => {
      const name = nameOf(body);
      if (!name) throw httpError(400, "name is required");
      const info = insert.run(name, new Date().toISOString());
      return { status: 201, body: { version: "v1", id: Number(info.lastInsertRowid) } };
    },
  },
});
