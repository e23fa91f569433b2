// Tick/Tock demo, version 2: people with `first_name` and `last_name`. While `name` exists (v1 may come back:
// a rollback, a swap back) it writes it too, so v1 reads every row v2 wrote. After the contract dropped `name`
// it writes only the new columns. It needs the expanded schema: deployed before the expand, it does not start.
import { serve, httpError } from "../../lib/server.js";
import { announce, openUsers, columns, splitName, nameOf, readLimit } from "../lib/users.js";

const db = openUsers();
if (!columns(db).has("first_name")) {
  console.error("users.first_name is missing: run the expand (demo/tick-tock/migrations) before deploying v2");
  process.exit(1);
}

const display = (r) => ({ ...r, name: r.lastName ? `${r.firstName} ${r.lastName}` : r.firstName });

// Immediate: the column check and the insert see the same schema (the contract's DROP COLUMN waits for it).
const insert = db.transaction((first, last) => {
  const now = new Date().toISOString();
  const info = columns(db).has("name")
    ? db
        .prepare("INSERT INTO users (name, first_name, last_name, created_at) VALUES (?, ?, ?, ?)")
        .run(last ? `${first} ${last}` : first, first, last, now)
    : db.prepare("INSERT INTO users (first_name, last_name, created_at) VALUES (?, ?, ?)").run(first, last, now);
  return Number(info.lastInsertRowid);
});
const create = (first, last) => insert.immediate(first, last);

announce(db, "v2");

serve({
  version: "v2",
  schema: () => (columns(db).has("name") ? 2 : 3),
  routes: {
    "GET /users": (_req, _body, url) => {
      const rows = db
        .prepare("SELECT id, first_name AS firstName, last_name AS lastName FROM users ORDER BY id DESC LIMIT ?")
        .all(readLimit(url));
      return { status: 200, body: { version: "v2", users: rows.map(display) } };
    },
    "GET /user": (_req, _body, url) => {
      const row = db
        .prepare("SELECT id, first_name AS firstName, last_name AS lastName FROM users WHERE id = ?")
        .get(Number(url.searchParams.get("id")));
      if (!row) throw httpError(404, "no such user");
      return { status: 200, body: { version: "v2", user: display(row) } };
    },
    "POST /users": (_req, body) => {
      const given = typeof body.firstName === "string" && body.firstName.trim();
      const { first, last } = given
        ? {
            first: body.firstName.trim().slice(0, 100),
            last: String(body.lastName ?? "")
              .trim()
              .slice(0, 100),
          }
        : splitName(nameOf(body));
      if (!first) throw httpError(400, "firstName (or name) is required");
      return { status: 201, body: { version: "v2", id: create(first, last) } };
    },
  },
});
