// A tiny ODS API over the demo ODS (PostgreSQL, ODS_URL): GET /students reads, POST /students writes.
// `node api.js v1` runs against the schema before the upgrade (sex *types*), `node api.js v2` against the
// upgraded one (sex descriptors, edfi.studentview). Writes are refused with 503 while the local
// environment's MaintenanceMode flag is on (the upgrade's window); reads are always served.
import http from "node:http";
import { randomUUID } from "node:crypto";
import pg from "pg";
import { watchFlags, isOn } from "../lib/flags.js";

const version = process.argv[2] === "v2" ? "v2" : "v1";
const slot = process.env.CUTOVER_SLOT ?? "";
const flags = watchFlags(process.env);
// The URL comes from the environment only (it may hold a password): never printed.
const pool = new pg.Pool({ connectionString: process.env.ODS_URL, max: 4 });

const READ = {
  // v1 reads the columns the upgrade preserves; they stay readable while it runs (it only waits on locks).
  v1: "select studentusi, studentuniqueid, firstname, lastsurname, birthdate from edfi.student",
  v2: "select studentusi, studentuniqueid, firstname, lastsurname, birthdate, sex from edfi.studentview",
};
const WRITE = {
  v1:
    "insert into edfi.student (studentuniqueid, firstname, lastsurname, birthdate, sextypeid) " +
    "values ($1, $2, $3, date '2010-09-01', 3) returning studentusi",
  v2:
    "insert into edfi.student (studentuniqueid, firstname, lastsurname, birthdate, birthsexdescriptorid) " +
    "values ($1, $2, $3, date '2010-09-01', (select d.descriptorid from edfi.descriptor d " +
    "where d.namespace = 'uri://ed-fi.org/SexDescriptor' and d.codevalue = 'Not Selected')) returning studentusi",
};

async function route(req, url) {
  // Liveness: the process is up (no database query). The release starts API v2 while the upgrade runs, so its
  // start cannot wait for /health; it checks /health after the upgrade instead (playbooks/edfi-upgrade.yaml).
  if (url.pathname === "/live") return [200, { status: "ok", version, slot }];
  if (url.pathname === "/health") {
    // Healthy only on the schema this version reads: v2 is not healthy before the upgrade ran.
    await pool.query(`${READ[version]} limit 1`);
    return [200, { status: "ok", version, slot }];
  }
  if (url.pathname === "/version") return [200, { version, slot }];
  if (url.pathname !== "/students") return [404, { error: "not found" }];
  if (req.method === "GET") {
    const limit = Math.min(Number(url.searchParams.get("limit") ?? 5) || 5, 100);
    const r = await pool.query(`${READ[version]} order by studentusi limit $1`, [limit]);
    return [200, { version, students: r.rows }];
  }
  if (req.method !== "POST") return [405, { error: "method not allowed" }];
  const body = await readJson(req);
  if (isOn(flags.get("MaintenanceMode"))) return [503, { error: "maintenance", message: "The ODS is being upgraded." }];
  const name = String(body.attendee ?? body.firstName ?? "New");
  const r = await pool.query(WRITE[version], [randomUUID(), name, "Load"]);
  return [201, { version, studentusi: r.rows[0].studentusi }];
}

const server = http.createServer((req, res) => {
  const url = new URL(req.url ?? "/", "http://localhost");
  route(req, url).then(
    ([status, body]) => send(res, status, body),
    (e) => send(res, 500, { version, error: e.message }),
  );
});
server.keepAliveTimeout = 65_000;
server.headersTimeout = 66_000;
server.listen(Number(process.env.PORT ?? 0), "127.0.0.1", () => {
  console.log(`ods api ${version} (${slot || "no slot"}) listening on 127.0.0.1:${server.address().port}`);
});

function send(res, status, body) {
  const text = JSON.stringify(body);
  if (status === 503) res.setHeader("retry-after", "5");
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

function readJson(req) {
  return new Promise((resolve) => {
    let text = "";
    req.setEncoding("utf8");
    req.on("data", (c) => {
      if (text.length < 65_536) text += c;
    });
    req.on("end", () => {
      try {
        resolve(text ? JSON.parse(text) : {});
      } catch {
        resolve({});
      }
    });
  });
}

const stop = () => {
  flags.stop();
  server.close(() => pool.end().finally(() => process.exit(0)));
  server.closeIdleConnections();
  setTimeout(() => process.exit(0), 10_000).unref();
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
