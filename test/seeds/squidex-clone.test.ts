/**
 * S5, Squidex's major-version migration on a clone (playbooks/squidex-clone.yaml) through the built CLI, with
 * real parts: the local proxy and supervisor, the demo content API (demo/squidex) in both versions, a real
 * PostgreSQL database per case and its clone. A load generator runs the whole time. Checked each time: reads
 * never fail; writes are refused only while read-only is on; every accepted write is in the database that
 * serves at the end (none lost between the old database and the clone). Cases: a release (gated cleanup
 * approved: old deployment, old collection and old database gone); one whose cutover is SIGKILLed at a
 * seeded random step and resumed; one killed while it holds the clone's migration lease (the next attempt
 * proceeds at once); a failed migration that aborts (clone dropped, v1 writable again on its own data); one
 * killed while switching the load balancer, then aborted (v1 live and writable again, clone dropped);
 * a rehearsal (nothing switched, the clone dropped); and the nginx variant (nginx in front switched too).
 */
import fs from "node:fs";
import path from "node:path";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { LoadGenerator, type LoadReport } from "../../bench/local/loadgen.js";
import { startNginx, type NginxFixture } from "../../bench/local/nginx-fixture.js";
import type { AppSpec } from "../../src/core/slots.js";
import { LocalClient } from "../../src/providers/local/client.js";
import { localUp } from "../../src/providers/local/lifecycle.js";
import { ROOT, startCli, type CliResult } from "../support/cli.js";
import { createPgDb, type TestDb } from "../migrate/helpers.js";
import {
  cutover,
  expectReadsNeverFailed,
  expectRefusalsWithin,
  journal,
  killAtStep,
  refusedWrites,
  seedSuite,
  seededPick,
  timeOf,
} from "./seed-harness.js";

const PLAYBOOK = path.join(ROOT, "playbooks/squidex-clone.yaml");
const INSTALL = path.join(ROOT, "playbooks/squidex-install.yaml");
const STEPS = [
  "read-only",
  "new-read-only",
  "writes-drained",
  "backup",
  "clone",
  "migrate",
  "deploy",
  "check-new",
  "swap",
  "read-only-off",
];
const newDir = seedSuite("squidex");
const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const c of cleanups) await c().catch(() => undefined);
});

interface Case {
  stateDir: string;
  server: string;
  database: string;
  clone: string;
  params: string[];
  url: string;
  load: LoadGenerator;
}

async function query<T = Record<string, unknown>>(url: string, sql: string): Promise<T[]> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query(sql)).rows as T[];
  } finally {
    await c.end();
  }
}

async function count(url: string, table: string): Promise<number> {
  return (await query<{ n: number }>(url, `select count(*)::int as n from ${table}`))[0]!.n;
}

async function databaseExists(server: string, name: string): Promise<boolean> {
  return (await query(`${server}/postgres`, `select 1 from pg_database where datname = '${name}'`)).length === 1;
}

/**
 * A fresh database with v1's schema and 500 contents, v1 serving it in blue, the load running (on the local
 * proxy, or on what `front` puts in front of the slots, which may add params).
 */
async function baseline(
  extra: string[] = [],
  front?: (local: LocalClient, v1: AppSpec) => Promise<{ url: string; params: string[] }>,
): Promise<Case> {
  const stateDir = newDir();
  const db: TestDb = await createPgDb();
  const u = new URL(db.location);
  const database = u.pathname.slice(1);
  const clone = `${database}_v2`;
  u.pathname = "";
  const server = u.toString().replace(/\/$/, "");
  cleanups.push(db.drop, () => query(`${server}/postgres`, `drop database if exists ${clone} with (force)`).then());
  const install = await cutover(["run", INSTALL, "-p", `server=${server}`, "-p", `database=${database}`], stateDir);
  expect(install.code, install.stderr).toBe(0);
  await query(
    db.location,
    "insert into contents (data) select jsonb_build_object('n', g) from generate_series(1, 500) g",
  );
  const v1: AppSpec = {
    version: "v1",
    command: ["node", path.join(ROOT, "demo/squidex/v1/web.js")],
    cwd: path.join(ROOT, "playbooks"),
    env: { DATABASE_URL: db.location },
    healthPath: "/health",
    healthTimeoutMs: 15_000,
    workers: [],
  };
  const up = await localUp({ dir: path.join(stateDir, "local"), baseline: v1 });
  const local = new LocalClient({ dir: path.join(stateDir, "local") });
  const fronted = front ? await front(local, v1) : { url: up.status.publicUrl, params: [] };
  const params = ["-p", `server=${server}`, "-p", `database=${database}`, "-p", `clone=${clone}`];
  return {
    stateDir,
    server,
    database,
    clone,
    params: [...params, ...extra, ...fronted.params],
    url: fronted.url,
    load: startLoad(fronted.url),
  };
}

function startLoad(url: string): LoadGenerator {
  return new LoadGenerator({
    url,
    keepAliveWorkers: 3,
    freshWorkers: 1,
    writeRatio: 0.3,
    readPath: "/contents?limit=5",
    writePath: "/contents",
    maxRequests: 500_000,
    maxDurationMs: 180_000,
    pauseMs: 2,
    retryIdleReset: true, // only nginx's reload needs it (docs/local.md); the local proxy never resets
  }).start();
}

const accepted = (report: LoadReport) => report.samples.filter((s) => s.kind === "write" && s.status === 201).length;
const runIdOf = (stdout: string) => String(JSON.parse(stdout.split("\n")[0]!).runId);
const status = (c: Case) => new LocalClient({ dir: path.join(c.stateDir, "local") }).status();

/** Run the release to its gate (exit 3: paused), check what a paused release leaves, approve, finish. */
async function releaseThroughGate(c: Case, run: Promise<CliResult>, knownRunId?: string): Promise<string> {
  const paused = await run;
  expect(paused.code, `${paused.stdout}\n${paused.stderr}`).toBe(3);
  const runId = knownRunId ?? runIdOf(paused.stdout);
  // Before the gate: the old deployment still runs (read-only) beside v2, on the old database.
  const s = await status(c);
  expect(s.slots[s.live].version).toBe("v2");
  expect(Object.values(s.slots).filter((x) => x.running).length).toBe(2);
  expect(await databaseExists(c.server, c.database)).toBe(true);
  const approved = await cutover(["approve", runId, "retire-old"], c.stateDir);
  expect(approved.code, `${approved.stdout}\n${approved.stderr}`).toBe(0);
  return runId;
}

/** What a finished release promises: v2 live on the clone, writable, old deployment and database gone. */
async function expectReleased(c: Case, report: LoadReport, runId: string) {
  expectReadsNeverFailed(report);
  const events = journal(c.stateDir, runId);
  expectRefusalsWithin(
    report,
    timeOf(events, "step.started", "read-only"),
    timeOf(events, "step.succeeded", "read-only-off"),
  );
  expect(report.samples.some((s) => s.version === "v2" && s.kind === "write" && s.status === 201)).toBe(true);
  const s = await status(c);
  expect(s.slots[s.live].version).toBe("v2");
  const old = s.live === "blue" ? "green" : "blue";
  expect(s.slots[old].running).toBe(false);
  expect(s.flags[`ReadOnly@${s.live}`]).toBe(false);
  expect(s.flags[`ReadOnly@${old}`]).toBe(true);
  expect(await databaseExists(c.server, c.database)).toBe(false);
  const cloneUrl = `${c.server}/${c.clone}`;
  // Every write accepted by v1 before read-only, or by v2 after, is in the clone's new collection, once.
  expect(await count(cloneUrl, "contents_2")).toBe(500 + accepted(report));
  expect(await query(cloneUrl, "select version from squidex_migration")).toEqual([{ version: 2 }]);
  expect(await query(cloneUrl, "select to_regclass('public.contents') is null as gone")).toEqual([{ gone: true }]);
}

describe("S5 squidex-clone", () => {
  it("releases v2 on a migrated clone under load: refusals only while read-only, cleanup behind a gate", async () => {
    const c = await baseline();
    const runId = await releaseThroughGate(c, cutover(["run", PLAYBOOK, ...c.params, "-p", "grace=1s"], c.stateDir));
    const report = await c.load.stop();
    expect(refusedWrites(report).refused.length).toBeGreaterThan(0);
    await expectReleased(c, report, runId);
  });

  it("a cutover killed at a step is resumed and ends where an uninterrupted release does", async () => {
    const c = await baseline(["-p", "grace=1s"]);
    const step = seededPick(STEPS, "S5 kill step");
    const runId = await killAtStep([PLAYBOOK, ...c.params], c.stateDir, step);
    await releaseThroughGate(c, cutover(["resume", runId], c.stateDir), runId);
    const report = await c.load.stop();
    await expectReleased(c, report, runId);
  });

  it("a cutover killed while it holds the clone's migration lease: the lease is not stuck, resume migrates", async () => {
    // v2's migration path with a slow second script, so the kill lands inside it, lease held.
    const slow = path.join(newDir(), "migrations");
    fs.cpSync(path.join(ROOT, "demo/squidex/v2/migrations"), slow, { recursive: true });
    const second = path.join(slow, "0002_contents_2.migrate.sql");
    fs.writeFileSync(second, `select pg_sleep(20);\n${fs.readFileSync(second, "utf8")}`);
    const c = await baseline(["-p", `migrations=${slow}`, "-p", "grace=1s"]);
    const cloneUrl = `${c.server}/${c.clone}`;
    const proc = startCli(["run", PLAYBOOK, ...c.params], { stateDir: c.stateDir, json: true });
    const started = await proc.waitFor((e) => e.type === "run.started");
    await proc.waitFor((e) => e.type === "step.started" && e.stepId === "migrate");
    await until(async () => (await sleepingScripts(c)) === 1);
    proc.child.kill("SIGKILL");
    await proc.done.catch(() => undefined);
    const runId = String(started.runId);
    // The lease row still names the dead holder and has not expired: Squidex's IsLocked would be stuck here.
    const [lease] = await query<{ holder: string | null; live: boolean }>(
      cloneUrl,
      "select holder, expires_at > now() as live from cutover.migration_lease",
    );
    expect(lease).toMatchObject({ live: true });
    expect(lease!.holder).toContain(`pid`);
    // The script's transaction is not committed: the clone is still at schema 1.
    expect(await query(cloneUrl, "select version from squidex_migration")).toEqual([{ version: 1 }]);
    // The next attempt takes the lease over at once (the advisory lock died with the session) and migrates.
    fs.writeFileSync(second, fs.readFileSync(second, "utf8").replace("select pg_sleep(20);\n", ""));
    await releaseThroughGate(c, cutover(["resume", runId], c.stateDir), runId);
    const report = await c.load.stop();
    await expectReleased(c, report, runId);
  });

  it("a failed migration aborts: the clone is dropped, v1 serves and takes writes on its untouched database", async () => {
    const broken = path.join(newDir(), "migrations");
    fs.mkdirSync(broken);
    fs.copyFileSync(
      path.join(ROOT, "demo/squidex/v2/migrations/0001_contents.migrate.sql"),
      path.join(broken, "0001_contents.migrate.sql"),
    );
    fs.writeFileSync(
      path.join(broken, "0002_contents_2.migrate.sql"),
      "create table contents_2 (id bigint);\ninsert into no_such_table values (1);\n",
    );
    const c = await baseline(["-p", `migrations=${broken}`]);
    const run = await cutover(["run", PLAYBOOK, ...c.params], c.stateDir);
    const ended = Date.now();
    expect(run.code, run.stderr).toBe(1);
    const runId = runIdOf(run.stdout);
    // Writes are accepted again after the abort, by v1.
    await until(async () => c.load.samples.some((s) => s.kind === "write" && s.status === 201 && s.start > ended));
    const report = await c.load.stop();

    const events = journal(c.stateDir, runId);
    expect(events.filter((e) => e.type === "run.finished").at(-1)).toMatchObject({ outcome: "aborted" });
    expectReadsNeverFailed(report);
    expectRefusalsWithin(
      report,
      timeOf(events, "step.started", "read-only"),
      timeOf(events, "undo.succeeded", "read-only"),
    );
    expect(refusedWrites(report).refused.length).toBeGreaterThan(0);
    const s = await status(c);
    expect(s.live).toBe("blue");
    expect(s.slots.blue.version).toBe("v1");
    expect(s.slots.green.running).toBe(false);
    expect(s.flags["ReadOnly@blue"]).toBeUndefined();
    expect(s.flags["ReadOnly@green"]).toBeUndefined();
    expect(await databaseExists(c.server, c.clone)).toBe(false);
    const oldUrl = `${c.server}/${c.database}`;
    expect(await query(oldUrl, "select version from squidex_migration")).toEqual([{ version: 1 }]);
    expect(await count(oldUrl, "contents")).toBe(500 + accepted(report));
  });

  it("killed while switching, then aborted: the load balancer points at v1 again, writable, the clone dropped", async () => {
    const c = await baseline();
    const runId = await killAtStep([PLAYBOOK, ...c.params], c.stateDir, "swap");
    const aborted = await cutover(["abort", runId], c.stateDir);
    const ended = Date.now();
    expect(aborted.code, `${aborted.stdout}\n${aborted.stderr}`).toBe(1); // the run ends aborted
    await until(() => c.load.samples.some((s) => s.kind === "write" && s.status === 201 && s.start > ended));
    const report = await c.load.stop();

    const events = journal(c.stateDir, runId);
    expect(events.at(-1)).toMatchObject({ type: "run.finished", outcome: "aborted" });
    expectReadsNeverFailed(report);
    expectRefusalsWithin(
      report,
      timeOf(events, "step.started", "read-only"),
      timeOf(events, "undo.succeeded", "read-only"),
    );
    const s = await status(c);
    expect(s.live).toBe("blue");
    expect(s.slots.blue.version).toBe("v1");
    expect(s.slots.green.running).toBe(false);
    expect(s.flags["ReadOnly@blue"]).toBeUndefined();
    expect(await databaseExists(c.server, c.clone)).toBe(false);
    expect(await count(`${c.server}/${c.database}`, "contents")).toBe(500 + accepted(report));
  });

  it("a rehearsal migrates and serves a clone beside v1, switches nothing, refuses no write, drops the clone", async () => {
    const c = await baseline(["-p", "rehearsal=true"]);
    const run = await cutover(["run", PLAYBOOK, ...c.params], c.stateDir);
    const report = await c.load.stop();
    expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(0);
    const events = journal(c.stateDir, runIdOf(run.stdout));
    for (const step of ["clone", "migrate", "deploy", "check-new", "rehearsal-stop-new", "rehearsal-drop-clone"])
      expect(
        events.some((e) => e.type === "step.succeeded" && e.stepId === step),
        step,
      ).toBe(true);
    for (const step of ["read-only", "backup", "swap", "read-only-off", "retire-old", "stop-old", "drop-old-database"])
      expect(
        events.some((e) => e.type === "step.skipped" && e.stepId === step),
        step,
      ).toBe(true);

    expectReadsNeverFailed(report);
    expect(refusedWrites(report).refused).toEqual([]);
    expect(report.samples.every((s) => s.version === undefined || s.version === "v1")).toBe(true);
    const s = await status(c);
    expect(s.live).toBe("blue");
    expect(s.slots.green.running).toBe(false);
    expect(s.flags["ReadOnly@blue"]).toBeUndefined();
    expect(await databaseExists(c.server, c.clone)).toBe(false);
    const oldUrl = `${c.server}/${c.database}`;
    expect(await query(oldUrl, "select version from squidex_migration")).toEqual([{ version: 1 }]);
    expect(await count(oldUrl, "contents")).toBe(500 + accepted(report));
  });

  it("with nginx in front (-p lb=nginx): nginx's upstream follows to v2's port, no request fails", async () => {
    const dir = newDir();
    let nginx: NginxFixture | undefined;
    cleanups.push(async () => nginx?.stop());
    const c = await baseline(["-p", "grace=1s"], async (local, v1) => {
      // nginx names each slot's own port, and a slot gets its port when it first runs and keeps it: green
      // ran once before (an earlier release), so both are known to the nginx configuration.
      await local.deploy("green", v1);
      await local.stop("green", { drainTimeoutMs: 5000, killAfterMs: 5000 });
      const slots = (await local.status()).slots;
      const ports = { blue: slots.blue.port, green: slots.green.port };
      nginx = await startNginx(dir, [`127.0.0.1:${ports.blue}`], "blue");
      const params = {
        lb: "nginx",
        nginxUpstreamFile: nginx.upstreamFile,
        nginxUrl: nginx.publicUrl,
        nginxBinary: nginx.argv[0],
        nginxPrefix: dir,
        nginxConf: nginx.conf,
        nginxPidFile: nginx.pidFile,
        bluePort: ports.blue,
        greenPort: ports.green,
      };
      return { url: nginx.publicUrl, params: Object.entries(params).flatMap(([k, v]) => ["-p", `${k}=${v}`]) };
    });
    const runId = await releaseThroughGate(c, cutover(["run", PLAYBOOK, ...c.params], c.stateDir));
    const report = await c.load.stop();
    expect(report.failed).toEqual([]);
    await expectReleased(c, report, runId);
    const s = await status(c);
    expect(fs.readFileSync(nginx!.upstreamFile, "utf8")).toContain(`server 127.0.0.1:${s.slots[s.live].port};`);
    expect(report.samples.at(-1)?.version).toBe("v2");
  });
});

async function until(check: () => Promise<boolean> | boolean, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Sessions on the clone running the slow script's pg_sleep. */
async function sleepingScripts(c: Case): Promise<number> {
  const rows = await query<{ n: number }>(
    `${c.server}/postgres`,
    `select count(*)::int as n from pg_stat_activity where datname = '${c.clone}' and query like '%pg_sleep(20)%' and pid <> pg_backend_pid()`,
  );
  return rows[0]!.n;
}
