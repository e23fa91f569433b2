/**
 * S3, Tick/Tock expand/contract ("Migration Scenarios", the split-column case): playbooks/tick-tock-expand.yaml
 * and playbooks/tick-tock-contract.yaml through the built CLI, with the local proxy and supervisor, the
 * demo/tick-tock users app (v1 writes `name`, v2 `first_name`/`last_name` and, while v1 may come back, `name`
 * too) and SQLite. A load generator reads and writes users the whole time. Checked each time: reads never
 * fail; no write is ever refused (no maintenance window in expand/contract); every accepted write is a row;
 * every row's name is split as the backfill and the trigger split it. Cases: the release, the contract refused
 * while v1 still runs (warm in the idle slot, then live again after a swap back, serving reads and writes on
 * the expanded schema), then allowed once v1 is gone, after which the release can no longer be rolled back;
 * a rollback (`abort --rollback` of the succeeded release) that leaves v1 reading and writing on the expanded
 * schema and makes the contract refused, until a new run releases v2 again; a cutover SIGKILLed at a random
 * step of the release and resumed.
 */
import path from "node:path";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { LoadGenerator, type LoadReport } from "../../bench/local/loadgen.js";
import { LocalClient } from "../../src/providers/local/client.js";
import { ROOT } from "../support/cli.js";
import {
  cutover,
  expectReadsNeverFailed,
  journal,
  killAtStep,
  refusedWrites,
  seedSuite,
  seededPick,
} from "./seed-harness.js";

const EXPAND = path.join(ROOT, "playbooks/tick-tock-expand.yaml");
const CONTRACT = path.join(ROOT, "playbooks/tick-tock-contract.yaml");
const STEPS = [
  "preflight",
  "expand",
  "backfill",
  "check-split",
  "where",
  "old-on-expanded",
  "deploy",
  "swap",
  "retire-v1",
];
const SEEDED = 2000;
const newDir = seedSuite("tick-tock");

/** The environment as the expand playbook's baseline starts it (v1), with users in it and the load running. */
async function baseline(stateDir: string) {
  const up = await cutover(["local", "up", "--playbook", EXPAND], stateDir);
  expect(up.code, up.stderr).toBe(0);
  const url = String(JSON.parse(up.stdout.trim().split("\n").at(-1)!).status.publicUrl);
  withDb(stateDir, (d) => {
    const ins = d.prepare("INSERT INTO users (name, created_at) VALUES (?, ?)");
    // Every seventh person has a single name: the split gives an empty last name.
    d.transaction(() => {
      for (let i = 1; i <= SEEDED; i++) ins.run(i % 7 ? `First${i} Last ${i}` : `Solo${i}`, new Date().toISOString());
    })();
  });
  // The shared load generator posts an order-shaped body; the demo takes its `attendee` as the person's name.
  const load = new LoadGenerator({
    url,
    keepAliveWorkers: 3,
    freshWorkers: 1,
    writeRatio: 0.3,
    readPath: "/users?limit=5",
    writePath: "/users",
    maxRequests: 500_000,
    maxDurationMs: 180_000,
    pauseMs: 2,
  }).start();
  return { url, load, local: new LocalClient({ dir: path.join(stateDir, "local") }) };
}

function withDb<T>(stateDir: string, fn: (d: Database.Database) => T): T {
  const d = new Database(path.join(stateDir, "local", "demo.sqlite"));
  d.pragma("busy_timeout = 10000");
  try {
    return fn(d);
  } finally {
    d.close();
  }
}

const columns = (stateDir: string) =>
  withDb(stateDir, (d) => (d.pragma("table_info(users)") as { name: string }[]).map((c) => c.name));

/** The demo's split (demo/tick-tock/lib/users.js), restated: first word, then the rest. */
function split(name: string) {
  const t = name.trim();
  const i = t.indexOf(" ");
  return i < 0 ? { first: t, last: "" } : { first: t.slice(0, i), last: t.slice(i + 1).trim() };
}

/** Every row is split the way its name says (checked while `name` exists). */
function expectEveryNameSplit(stateDir: string) {
  const rows = withDb(
    stateDir,
    (d) =>
      d.prepare("SELECT id, name, first_name AS first, last_name AS last FROM users").all() as Record<string, string>[],
  );
  expect(rows.length).toBeGreaterThanOrEqual(SEEDED);
  expect(rows.filter((r) => r.first !== split(r.name!).first || r.last !== split(r.name!).last)).toEqual([]);
}

const accepted = (report: LoadReport) => report.samples.filter((s) => s.kind === "write" && s.status === 201).length;

/** Reads never failed, no write was refused or failed, and each accepted write is a row. */
function expectNoDowntime(stateDir: string, report: LoadReport, extraRows: number) {
  expectReadsNeverFailed(report);
  expect(refusedWrites(report).refused.length).toBe(0);
  expect(report.samples.filter((s) => s.kind === "write" && s.status !== 201)).toEqual([]);
  const rows = withDb(stateDir, (d) => (d.prepare("SELECT count(*) AS n FROM users").get() as { n: number }).n);
  expect(rows).toBe(SEEDED + accepted(report) + extraRows);
}

/** A person registered through the public URL, read back through it, and as the database holds it. */
async function register(url: string, name: string) {
  const res = await fetch(`${url}/users`, { method: "POST", body: JSON.stringify({ name }) });
  expect(res.status).toBe(201);
  const { id, version } = (await res.json()) as { id: number; version: string };
  const read = (await (await fetch(`${url}/user?id=${id}`)).json()) as { user: { name: string } };
  return { id, version, readBack: read.user.name };
}

/**
 * Handshake: v1's process has left app_instances (it removes its row as it stops; a row it could not remove
 * ages out of the contract's 15 s window).
 */
async function v1Gone(stateDir: string) {
  const deadline = Date.now() + 60_000;
  const fresh = "SELECT count(*) AS n FROM app_instances WHERE version = 'v1' AND seen_at > unixepoch() - 15";
  while (withDb(stateDir, (d) => (d.prepare(fresh).get() as { n: number }).n) > 0) {
    if (Date.now() > deadline) throw new Error("v1 still announces itself in app_instances");
    await new Promise((r) => setTimeout(r, 200));
  }
}

const runIdOf = (stdout: string) => String(JSON.parse(stdout.split("\n")[0]!).runId);

describe("S3 tick-tock expand/contract", () => {
  it("expands without refusing a write; the contract is refused while v1 runs, then drops name for good", async () => {
    const stateDir = newDir();
    const { url, load, local } = await baseline(stateDir);
    const release = await cutover(["run", EXPAND, "-p", "keepOld=true"], stateDir);
    expect(release.code, release.stderr).toBe(0);
    const releaseRun = runIdOf(release.stdout);
    expect(columns(stateDir)).toEqual(["id", "name", "created_at", "first_name", "last_name"]);
    expectEveryNameSplit(stateDir);
    const backfill = journal(stateDir, releaseRun).find((e) => e.type === "step.succeeded" && e.stepId === "backfill");
    expect((backfill?.outputs as { batches: number }).batches).toBeGreaterThan(1);
    // v1 was checked through the environment's public URL, read by local.status beside v2's start.
    const where = journal(stateDir, releaseRun).find((e) => e.type === "step.succeeded" && e.stepId === "where");
    expect(where?.outputs).toMatchObject({ publicUrl: url, live: "blue", slots: { blue: { version: "v1" } } });

    // v1 kept warm in the idle slot: the contract stops before any change.
    let status = await local.status();
    const v1Slot = status.live === "blue" ? "green" : "blue";
    expect(status.slots[v1Slot].version).toBe("v1");
    const warm = await cutover(["run", CONTRACT, "--approve", "retire-v1"], stateDir);
    expect(warm.code, warm.stderr).toBe(1);
    expect(`${warm.stdout}${warm.stderr}`).toContain("E_OLD_VERSION_RUNNING");
    expect(columns(stateDir)).toContain("name");

    // A swap back by hand: v1 serves reads and writes on the expanded schema; its writes are split.
    await local.setLive(v1Slot);
    const byV1 = await register(url, "Grace Brewster Hopper");
    expect(byV1).toMatchObject({ version: "v1", readBack: "Grace Brewster Hopper" });
    expectEveryNameSplit(stateDir);
    const live = await cutover(["run", CONTRACT, "--approve", "retire-v1"], stateDir);
    expect(live.code, live.stderr).toBe(1);
    expect(columns(stateDir)).toContain("name");

    // v2 again, v1 gone: the contract runs, under the same load.
    await local.setLive(status.live);
    await local.stop(v1Slot, { drainTimeoutMs: 30_000, killAfterMs: 10_000 });
    await v1Gone(stateDir);
    const contract = await cutover(["run", CONTRACT, "--approve", "retire-v1"], stateDir);
    expect(contract.code, `${contract.stdout}\n${contract.stderr}`).toBe(0);
    const contractRun = runIdOf(contract.stdout);
    expect(columns(stateDir)).toEqual(["id", "created_at", "first_name", "last_name"]);
    const byV2 = await register(url, "Alan Turing");
    expect(byV2).toMatchObject({ version: "v2", readBack: "Alan Turing" });
    const report = await load.stop();
    expectNoDowntime(stateDir, report, 2);
    expect(
      withDb(stateDir, (d) => d.prepare("SELECT first_name, last_name FROM users WHERE id = ?").get(byV1.id)),
    ).toEqual({ first_name: "Grace", last_name: "Brewster Hopper" });

    // The release cannot be rolled back any more: v1 would not find `name`.
    const rollback = await cutover(["abort", releaseRun, "--rollback"], stateDir);
    expect(rollback.code).toBe(2);
    expect(`${rollback.stdout}${rollback.stderr}`).toContain(contractRun);
    status = await local.status();
    expect(status.slots[status.live].version).toBe("v2");
  });

  it("abort --rollback of the succeeded release: v1 reads and writes on the expanded schema; no contract until a new release", async () => {
    const stateDir = newDir();
    const { url, load, local } = await baseline(stateDir);
    const release = await cutover(["run", EXPAND, "-p", "grace=1s"], stateDir);
    expect(release.code, release.stderr).toBe(0);
    const byV2 = await register(url, "Ada King Lovelace");
    expect(byV2.version).toBe("v2");

    const rollback = await cutover(["abort", runIdOf(release.stdout), "--rollback"], stateDir);
    expect(rollback.code, `${rollback.stdout}\n${rollback.stderr}`).toBe(0);
    const status = await local.status();
    expect(status.slots[status.live].version).toBe("v1");
    // The schema stays expanded (nothing to undo), and v1 works on it: reads, including v2's rows, and writes.
    expect(columns(stateDir)).toEqual(["id", "name", "created_at", "first_name", "last_name"]);
    expect((await (await fetch(`${url}/user?id=${byV2.id}`)).json()) as unknown).toMatchObject({
      version: "v1",
      user: { name: "Ada King Lovelace" },
    });
    const byV1 = await register(url, "Edsger Dijkstra");
    expect(byV1).toMatchObject({ version: "v1", readBack: "Edsger Dijkstra" });

    const contract = await cutover(["run", CONTRACT, "--approve", "retire-v1"], stateDir);
    expect(contract.code).toBe(2);
    expect(`${contract.stdout}${contract.stderr}`).toContain("aborted (rolled back)");
    expect(columns(stateDir)).toContain("name");
    expectEveryNameSplit(stateDir);

    // Released again by a new run (the expand has nothing pending, the trigger split v1's rows): the contract
    // now finishes that release.
    const again = await cutover(["run", EXPAND, "-p", "grace=1s"], stateDir);
    expect(again.code, again.stderr).toBe(0);
    await v1Gone(stateDir);
    const finished = await cutover(["run", CONTRACT, "--approve", "retire-v1"], stateDir);
    expect(finished.code, `${finished.stdout}\n${finished.stderr}`).toBe(0);
    expect(columns(stateDir)).toEqual(["id", "created_at", "first_name", "last_name"]);
    const report = await load.stop();
    expectNoDowntime(stateDir, report, 2);
    expect(report.samples.some((s) => s.version === "v2")).toBe(true);
  });

  it("a cutover killed at a step of the release is resumed and ends where an uninterrupted release does", async () => {
    const stateDir = newDir();
    const { url, load, local } = await baseline(stateDir);
    const step = seededPick(STEPS, "S3 kill step");
    const runId = await killAtStep([EXPAND, "-p", "grace=1s", "-p", "batchSize=100"], stateDir, step);
    const resumed = await cutover(["resume", runId], stateDir);
    expect(resumed.code, `${resumed.stdout}\n${resumed.stderr}`).toBe(0);
    const byV2 = await register(url, "Barbara Liskov");
    expect(byV2).toMatchObject({ version: "v2", readBack: "Barbara Liskov" });
    const report = await load.stop();

    expectNoDowntime(stateDir, report, 1);
    expectEveryNameSplit(stateDir);
    const status = await local.status();
    expect(status.slots[status.live].version).toBe("v2");
    expect(Object.values(status.slots).filter((s) => s.running).length).toBe(1);
    const rows = withDb(stateDir, (d) =>
      d.prepare("SELECT name, status FROM cutover_migration_journal WHERE status = 'succeeded' ORDER BY id").all(),
    );
    expect(rows).toEqual([
      { name: "0001_split_name_columns.expand.sql", status: "succeeded" },
      { name: "0002_sync_split_name.expand.sql", status: "succeeded" },
    ]);
  });
});
