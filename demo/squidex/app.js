// The Squidex demo: a tiny content API on PostgreSQL, in two versions (v1 and v2, see v1/web.js and v2/web.js).
// Like Squidex, the schema version lives in the database (table squidex_migration, one row) and a server
// refuses to start on a database older than the version it needs; the migration itself is cutover's
// (migrate.run, under its lease). Like Squidex's MODE_READONLY, the flag ReadOnly (per slot: ReadOnly@blue)
// makes writes 503 while reads go on.
import http from "node:http";
import pg from "pg";
import { watchFlags, isOn } from "../lib/flags.js";

const MAX_BODY = 64 * 1024;

/** @param {{ version: string, schema: number, table: string }} app the collection each version reads and writes */
export async function contentApi(app, env = process.env) {
  if (!env.DATABASE_URL) throw new Error("DATABASE_URL is not set");
  const pool = new pg.Pool({ connectionString: env.DATABASE_URL, max: 4 });
  const schema = await dbVersion(pool);
  if (schema < app.schema) {
    // Squidex would migrate here; this demo leaves that to cutover and refuses, naming what it needs.
    console.error(`content api ${app.version}: database schema ${schema} is older than ${app.schema}: not starting`);
    await pool.end();
    process.exit(1);
  }
  const flags = watchFlags(env);
  const slot = env.CUTOVER_SLOT ?? "";
  const readOnly = () => isOn(flags.get("ReadOnly"));

  const routes = {
    "GET /health": async () => [200, { status: "ok", version: app.version, slot, schema, readOnly: readOnly() }],
    "GET /version": async () => [200, { version: app.version, slot }],
    "GET /contents": async (url) => {
      const limit = Math.min(Math.max(Number(url.searchParams.get("limit")) || 10, 1), 100);
      const { rows } = await pool.query(`select id, data from ${app.table} order by id desc limit $1`, [limit]);
      return [200, { version: app.version, contents: rows }];
    },
    "POST /contents": async (_url, body) => {
      if (readOnly()) return [503, { error: "read-only", message: "The content API is read-only for a moment." }];
      const { rows } = await pool.query(`insert into ${app.table} (data) values ($1) returning id`, [body]);
      return [201, { version: app.version, id: Number(rows[0].id) }];
    },
  };

  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    try {
      const route = routes[`${req.method} ${url.pathname}`];
      if (!route) return send(res, 404, { error: "not found" });
      const body = req.method === "POST" ? await readJson(req) : undefined;
      const [status, out] = await route(url, body);
      if (status === 503) res.setHeader("retry-after", "5");
      return send(res, status, out);
    } catch (e) {
      return send(res, e.status ?? 500, { error: e.message });
    }
  });
  server.keepAliveTimeout = 65_000; // longer than the proxy's idle time: the proxy closes idle sockets first
  server.listen(Number(env.PORT ?? 0), "127.0.0.1", () =>
    console.log(`content api ${app.version} (${slot || "no slot"}) on schema ${schema}, port ${server.address().port}`),
  );
  const stop = () => {
    flags.stop();
    server.close(() => pool.end().finally(() => process.exit(0)));
    server.closeIdleConnections();
    setTimeout(() => process.exit(0), 10_000).unref();
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}

async function dbVersion(pool) {
  try {
    const { rows } = await pool.query("select version from squidex_migration where id = 1");
    return rows[0]?.version ?? 0;
  } catch (e) {
    if (e.code === "42P01") return 0; // no squidex_migration table: an empty database
    throw e;
  }
}

function send(res, status, body) {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

function readJson(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    req.on("data", (c) => {
      size += c.length;
      if (size > MAX_BODY) reject(Object.assign(new Error("body too large"), { status: 413 }));
      else chunks.push(c);
    });
    req.on("end", () => {
      try {
        const text = Buffer.concat(chunks).toString("utf8");
        resolve(text ? JSON.parse(text) : {});
      } catch {
        reject(Object.assign(new Error("invalid JSON"), { status: 400 }));
      }
    });
    req.on("error", reject);
  });
}
