/**
 * S4, Ed-Fi's ODS Migration Utility (playbooks/edfi-upgrade.yaml) through the built CLI, with real parts: a
 * fresh PostgreSQL database per case holding the demo ODS (demo/edfi/ods-v1.sql), the local proxy and
 * supervisor running the tiny ODS API (demo/edfi/api.js), and a load generator reading and writing
 * students the whole time. Checked each time: reads never fail; writes are refused only inside the
 * maintenance window. Cases: compatibility checks refuse before any change and an acknowledgement bypasses
 * the extension check; a script that fails mid-way is fixed by hand and `cutover retry` resumes at it (one
 * transaction per script); corruption by an earlier script is still caught after the fix, on retry and in a
 * new run that supersedes the paused one; abort restores the backup and a new run starts over with edited
 * scripts; a cutover SIGKILLed at a random step is resumed.
 */
import fs from "node:fs";
import path from "node:path";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { LoadGenerator, type LoadReport } from "../../bench/local/loadgen.js";
import { LocalClient } from "../../src/providers/local/client.js";
import { localUp } from "../../src/providers/local/lifecycle.js";
import { ROOT } from "../support/cli.js";
import { createPgDb, type TestDb } from "../migrate/helpers.js";
import {
  cutover,
  expectReadsNeverFailed,
  expectRefusalsWithin,
  journal,
  type JournalEvent,
  killAtStep,
  refusedWrites,
  seedSuite,
  seededPick,
  timeOf,
} from "./seed-harness.js";

const PLAYBOOK = path.join(ROOT, "playbooks/edfi-upgrade.yaml");
const SCRIPTS = path.join(ROOT, "demo/edfi/migrations");
const ACK = ["-p", "acknowledge=E_EXTENSION_DEPENDENCY"];
const STEPS = [
  "preflight",
  "maintenance-on",
  "backup",
  "hash-before",
  "upgrade",
  "hash-after",
  "deploy",
  "v2-ready",
  "swap",
  "maintenance-off",
  "serving",
  "stop-v1",
] as const;
const S0006 = "0006 StudentSchoolAssociation [Primary Key].migrate.sql";
const newDir = seedSuite("edfi");

const dbs: TestDb[] = [];
afterAll(async () => {
  for (const d of dbs) await d.drop();
});

/** A fresh database holding the demo ODS before the upgrade. */
async function ods(): Promise<string> {
  const db = await createPgDb();
  dbs.push(db);
  await sql(db.location, fs.readFileSync(path.join(ROOT, "demo/edfi/ods-v1.sql"), "utf8"));
  // As a real ODS URL would, it carries a password (trust auth here ignores it). Without one the URL equals its
  // own safe description, which the journal then redacts as a secret: db.backup's restore could no longer tell
  // it was taken from this database (reported to the maintainers; see docs/seeds.md).
  const u = new URL(db.location);
  u.password = "unused";
  return u.toString();
}

async function sql<T = Record<string, unknown>>(url: string, text: string): Promise<T[]> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query(text)).rows as T[];
  } finally {
    await c.end();
  }
}

const one = async (url: string, text: string): Promise<unknown> => Object.values((await sql(url, text))[0]!)[0];

/** API v1 on the ODS (the playbook's baseline), with the load running on it. */
async function baseline(stateDir: string, url: string) {
  const up = await localUp({
    dir: path.join(stateDir, "local"),
    baseline: {
      version: "v1",
      command: ["node", path.join(ROOT, "demo/edfi/api.js"), "v1"],
      cwd: path.join(ROOT, "playbooks"),
      env: { ODS_URL: url },
      healthPath: "/health",
      healthTimeoutMs: 15_000,
    },
  });
  const load = new LoadGenerator({
    url: up.status.publicUrl,
    readPath: "/students?limit=5",
    writePath: "/students",
    keepAliveWorkers: 3,
    freshWorkers: 1,
    writeRatio: 0.2,
    maxRequests: 500_000,
    maxDurationMs: 180_000,
    pauseMs: 2,
  }).start();
  return load;
}

/** A copy of the upgrade scripts to break or edit, as an installer's working copy would be. */
function scriptCopy(stateDir: string, edits: Record<string, (text: string) => string> = {}): string {
  const dir = path.join(stateDir, "scripts");
  fs.cpSync(SCRIPTS, dir, { recursive: true });
  for (const [name, edit] of Object.entries(edits))
    fs.writeFileSync(path.join(dir, name), edit(fs.readFileSync(path.join(dir, name), "utf8")));
  return dir;
}

/** A field extension the upgrade does not know: it references the enrollment's old primary key. */
const TRANSPORT_EXTENSION = `create table sample.studentschoolassociationtransport (
  studentusi int not null, schoolid int not null, entrydate date not null, busroute text not null,
  constraint transport_ssa_fk foreign key (studentusi, schoolid, entrydate)
    references edfi.studentschoolassociation (studentusi, schoolid, entrydate));
insert into sample.studentschoolassociationtransport
select studentusi, schoolid, entrydate, 'Route ' || (studentusi % 5) from edfi.studentschoolassociation
where studentusi % 7 = 0;`;

/** The installer's fix of 0006: take the extension's foreign key along to the new primary key. */
const FIXED_0006 = (text: string) =>
  "alter table sample.studentschoolassociationtransport drop constraint transport_ssa_fk;\n" +
  text +
  "\nalter table sample.studentschoolassociationtransport add constraint transport_ssa_fk foreign key " +
  "(studentusi, schoolid) references edfi.studentschoolassociation (studentusi, schoolid);\n";

/** When the window first opened: a step killed mid-way runs again on resume, so its last start is too late. */
const firstStart = (events: JournalEvent[], stepId: string) =>
  Date.parse(events.find((e) => e.type === "step.started" && e.stepId === stepId)!.at);

const env = (url: string) => ({ ODS_URL: url });
const runIdOf = (stdout: string) => String(JSON.parse(stdout.split("\n")[0]!).runId);
const accepted = (r: LoadReport) => r.samples.filter((s) => s.kind === "write" && s.status === 201).length;

async function journalRows(url: string) {
  return sql<{ name: string; status: string; acknowledged: string }>(
    url,
    "select name, status, acknowledged from cutover.migration_journal order by id",
  );
}

/** Every refused write falls inside one of the windows (epoch ms pairs from the journals). */
function expectRefusalsInWindows(report: LoadReport, windows: [number, number][]) {
  const outside = refusedWrites(report).refused.filter(
    (s) => !windows.some(([from, to]) => s.start >= from - 5 && s.end <= to + 5),
  );
  expect(outside.map((s) => new Date(s.start).toISOString())).toEqual([]);
}

/** The seed's promised end state: upgraded schema, data kept, every accepted write stored, v2 live, writes on. */
async function expectUpgraded(stateDir: string, url: string, report: LoadReport) {
  expect(await one(url, "select to_regclass('edfi.sextype') is null")).toBe(true);
  expect(await one(url, "select to_regclass('migration_tempdata.sextype_descriptor') is null")).toBe(true);
  expect(await one(url, "select count(*)::int from edfi.sexdescriptor")).toBe(3);
  expect(await one(url, "select count(*)::int from edfi.student where birthsexdescriptorid is null")).toBe(0);
  expect(
    await sql(url, "select distinct namespace from edfi.descriptor where namespace like '%GradeLevel%' order by 1"),
  ).toEqual([{ namespace: "uri://ed-fi.org/GradeLevelDescriptor" }]);
  expect(await one(url, "select count(*)::int from sample.studentpet")).toBe(40);
  expect(
    await one(url, "select count(*)::int from edfi.student where studentusi <= 400 and lastsurname like 'Surname%'"),
  ).toBe(400);
  expect(await one(url, "select count(*)::int from edfi.student where lastsurname = 'Load'")).toBe(accepted(report));
  const status = await new LocalClient({ dir: path.join(stateDir, "local") }).status();
  expect(status.slots[status.live].version).toBe("v2");
  expect(status.flags.MaintenanceMode).toBe(false);
}

describe("S4 edfi-upgrade", () => {
  it("compatibility checks refuse before any change; acknowledged, the upgrade runs under load", async () => {
    const stateDir = newDir();
    const url = await ods();
    // A duplicate enrollment the new primary key would refuse: it has to be fixed, it cannot be acknowledged.
    await sql(
      url,
      "insert into edfi.studentschoolassociation select studentusi, schoolid, date '2025-01-06', " +
        "entrygradeleveldescriptorid from edfi.studentschoolassociation where studentusi = 7",
    );
    const load = await baseline(stateDir, url);

    const refused = await cutover(["run", PLAYBOOK], stateDir, env(url));
    expect(refused.code, refused.stderr).toBe(1);
    const out = refused.stdout + refused.stderr;
    expect(out).toContain("E_EXTENSION_DEPENDENCY");
    expect(out).toContain("studentpet");
    expect(out).toContain("E_DUPLICATE_ENROLLMENT");
    // With the offending rows, so the installer knows what to change.
    const failure = refused.stdout
      .split("\n")
      .filter((l) => l.startsWith("{"))
      .map((l) => JSON.parse(l) as { type: string; stepId?: string; error?: { message: string } })
      .find((e) => e.type === "step.failed" && e.stepId === "preflight");
    expect(failure?.error?.message).toContain('{"studentusi":7,"schoolid":255901044,"enrollments":"2"}');
    expect(failure?.error?.message).toContain('"table":"studentpet"');
    // Nothing changed: no journal, the old schema, no maintenance window.
    // migrate.check is read-only: it does not even create cutover's journal table.
    expect(await one(url, "select to_regclass('cutover.migration_journal') is null")).toBe(true);
    expect(await one(url, "select to_regclass('edfi.sextype') is not null")).toBe(true);
    expect(
      (await new LocalClient({ dir: path.join(stateDir, "local") }).status()).flags.MaintenanceMode,
    ).toBeUndefined();

    // Acknowledging covers the extension, not the data that would break the new key.
    const still = await cutover(["run", PLAYBOOK, ...ACK], stateDir, env(url));
    expect(still.code).toBe(1);
    expect(still.stdout + still.stderr).toContain("E_DUPLICATE_ENROLLMENT");

    await sql(url, "delete from edfi.studentschoolassociation where studentusi = 7 and entrydate = '2025-01-06'");
    const run = await cutover(["run", PLAYBOOK, ...ACK], stateDir, env(url));
    const report = await load.stop();
    expect(run.code, run.stderr).toBe(0);

    const events = journal(stateDir, runIdOf(run.stdout));
    expectReadsNeverFailed(report);
    expectRefusalsWithin(
      report,
      timeOf(events, "step.started", "maintenance-on"),
      timeOf(events, "step.succeeded", "maintenance-off"),
    );
    expect(refusedWrites(report).refused.length).toBeGreaterThan(0);
    expect(report.samples.some((s) => s.version === "v2" && s.kind === "write" && s.status === 201)).toBe(true);
    await expectUpgraded(stateDir, url, report);
    // The DbUp-like journal: one succeeded row per script, under its Ed-Fi style name, acknowledgement recorded.
    const rows = await journalRows(url);
    expect(rows.map((r) => r.status)).toEqual(Array(9).fill("succeeded"));
    expect(rows[5]!.name).toBe(S0006);
    expect(rows.every((r) => r.acknowledged.includes("E_EXTENSION_DEPENDENCY"))).toBe(true);
  });

  it("a script failing mid-way pauses the run; fixed by hand, retry resumes at the script that failed", async () => {
    const stateDir = newDir();
    const url = await ods();
    await sql(url, TRANSPORT_EXTENSION);
    const scripts = scriptCopy(stateDir);
    const load = await baseline(stateDir, url);

    const run = await cutover(["run", PLAYBOOK, ...ACK, "-p", `scripts=${scripts}`], stateDir, env(url));
    expect(run.code, run.stderr).toBe(3);
    const runId = runIdOf(run.stdout);
    expect(run.stdout + run.stderr).toContain(S0006);
    const failed = await journalRows(url);
    expect(failed.map((r) => r.status)).toEqual([...Array(5).fill("succeeded"), "failed"]);
    // One transaction per script: 0005's change is committed, 0006's first statement was rolled back with it.
    expect(
      await one(
        url,
        "select count(*)::int from information_schema.columns where table_schema = 'edfi' " +
          "and table_name = 'student' and column_name = 'birthsexdescriptorid'",
      ),
    ).toBe(1);
    expect(
      await one(
        url,
        "select count(*)::int from information_schema.columns where table_schema = 'edfi' " +
          "and table_name = 'studentschoolassociation' and column_name = 'exitwithdrawdate'",
      ),
    ).toBe(0);

    fs.writeFileSync(path.join(scripts, S0006), FIXED_0006(fs.readFileSync(path.join(scripts, S0006), "utf8")));
    const retried = await cutover(["retry", runId], stateDir, env(url));
    const report = await load.stop();
    expect(retried.code, `${retried.stdout}\n${retried.stderr}`).toBe(0);

    // Resumed at 0006: the scripts before it ran once.
    const rows = await journalRows(url);
    expect(rows.map((r) => `${r.name.slice(0, 4)} ${r.status}`)).toEqual([
      ...[1, 2, 3, 4, 5].map((n) => `000${n} succeeded`),
      "0006 failed",
      "0006 succeeded",
      "0007 succeeded",
      "0008 succeeded",
      "0009 succeeded",
    ]);
    expect(await one(url, "select count(*)::int from sample.studentschoolassociationtransport")).toBeGreaterThan(0);
    const events = journal(stateDir, runId);
    expectReadsNeverFailed(report);
    expectRefusalsWithin(
      report,
      timeOf(events, "step.started", "maintenance-on"),
      timeOf(events, "step.succeeded", "maintenance-off"),
    );
    await expectUpgraded(stateDir, url, report);
  });

  it("data changed by a script is caught after the fix: on retry, and by a new run that supersedes it", async () => {
    const stateDir = newDir();
    const url = await ods();
    await sql(url, TRANSPORT_EXTENSION);
    // 0005 mistakenly rewrites surnames it should leave alone; 0006 then fails on the extension.
    const scripts = scriptCopy(stateDir, {
      "0005 Student [Sex Type To Descriptor].migrate.sql": (t) =>
        `${t}\nupdate edfi.student set lastsurname = upper(lastsurname) where studentusi % 50 = 0;\n`,
    });
    const load = await baseline(stateDir, url);
    const args = [PLAYBOOK, ...ACK, "-p", `scripts=${scripts}`];
    const run = await cutover(["run", ...args], stateDir, env(url));
    expect(run.code, run.stderr).toBe(3);
    const runId = runIdOf(run.stdout);

    fs.writeFileSync(path.join(scripts, S0006), FIXED_0006(fs.readFileSync(path.join(scripts, S0006), "utf8")));
    const retried = await cutover(["retry", runId], stateDir, env(url));
    expect(retried.code, retried.stderr).toBe(3);
    expect(retried.stdout + retried.stderr).toContain("edfi.student");
    expect(
      journal(stateDir, runId)
        .filter((e) => e.type === "step.failed")
        .at(-1)?.stepId,
    ).toBe("hash-after");

    // A new run must not bless the damage by hashing the damaged data: a plain run is refused while this one
    // is open, and one that supersedes it measures against the hashes taken before the first script.
    const plain = await cutover(["run", ...args], stateDir, env(url));
    expect(plain.code).toBe(4);
    const anew = await cutover(["run", ...args, "--supersede", runId], stateDir, env(url));
    const report = await load.stop();
    expect(anew.code, anew.stderr).toBe(3);
    const newRun = runIdOf(anew.stdout);
    expect(newRun).not.toBe(runId);
    const events = journal(stateDir, newRun);
    expect(events.filter((e) => e.type === "step.failed").at(-1)?.stepId).toBe("hash-after");
    expect(anew.stdout + anew.stderr).toContain("inherited from superseded run");
    expect(anew.stdout + anew.stderr).toContain("edfi.student");

    expectReadsNeverFailed(report);
    // Writes stay refused: the window is still open, no version with damaged data takes the writes.
    expectRefusalsWithin(report, timeOf(journal(stateDir, runId), "step.started", "maintenance-on"), Date.now());
    const status = await new LocalClient({ dir: path.join(stateDir, "local") }).status();
    expect(status.slots[status.live].version).toBe("v1");
    expect(status.flags.MaintenanceMode).toBe(true);
  });

  it("abort restores the backup; a new run starts over with the edited scripts", async () => {
    const stateDir = newDir();
    const url = await ods();
    await sql(url, TRANSPORT_EXTENSION);
    const scripts = scriptCopy(stateDir);
    const load = await baseline(stateDir, url);
    const args = [PLAYBOOK, ...ACK, "-p", `scripts=${scripts}`];
    const run = await cutover(["run", ...args], stateDir, env(url));
    expect(run.code, run.stderr).toBe(3);
    const runId = runIdOf(run.stdout);

    // Applied scripts edited during development (drift) and the failed one fixed: restore and start over.
    fs.writeFileSync(
      path.join(scripts, "0003 Descriptor [Import Sex Descriptors].migrate.sql"),
      fs.readFileSync(path.join(scripts, "0003 Descriptor [Import Sex Descriptors].migrate.sql"), "utf8") +
        "\ninsert into edfi.descriptor (namespace, codevalue) values ('uri://ed-fi.org/SexDescriptor', 'Non-binary');\n",
    );
    fs.writeFileSync(path.join(scripts, S0006), FIXED_0006(fs.readFileSync(path.join(scripts, S0006), "utf8")));
    const aborted = await cutover(["abort", runId], stateDir, env(url));
    expect(aborted.code, `${aborted.stdout}\n${aborted.stderr}`).toBe(1);
    const abortEvents = journal(stateDir, runId);
    expect(abortEvents.some((e) => e.type === "undo.succeeded" && e.stepId === "backup")).toBe(true);

    // Back to the ODS as it was: old tables, no new ones, the journal says the scripts are pending again.
    expect(await one(url, "select to_regclass('edfi.sextype') is not null")).toBe(true);
    expect(await one(url, "select to_regclass('edfi.sexdescriptor') is null")).toBe(true);
    expect(await one(url, "select to_regclass('migration_tempdata.sextype_descriptor') is null")).toBe(true);
    expect((await journalRows(url)).slice(6).map((r) => `${r.name.slice(0, 4)} ${r.status}`)).toEqual(
      [1, 2, 3, 4, 5].map((n) => `000${n} undone`),
    );
    const after = await new LocalClient({ dir: path.join(stateDir, "local") }).status();
    expect(after.slots[after.live].version).toBe("v1");
    expect(after.flags.MaintenanceMode).toBeUndefined();

    const again = await cutover(["run", ...args], stateDir, env(url));
    const report = await load.stop();
    expect(again.code, `${again.stdout}\n${again.stderr}`).toBe(0);
    expect(await one(url, "select count(*)::int from edfi.sexdescriptor")).toBe(4);
    const events = journal(stateDir, runIdOf(again.stdout));
    expectReadsNeverFailed(report);
    expectRefusalsInWindows(report, [
      [timeOf(abortEvents, "step.started", "maintenance-on"), timeOf(abortEvents, "undo.succeeded", "maintenance-on")],
      [timeOf(events, "step.started", "maintenance-on"), timeOf(events, "step.succeeded", "maintenance-off")],
    ]);
    // Writes were taken on v1 between the two runs, and the second run kept them.
    expect(await one(url, "select count(*)::int from edfi.student where lastsurname = 'Load'")).toBe(accepted(report));
  });

  it("a cutover killed at a step is resumed and ends where an uninterrupted upgrade does", async () => {
    const stateDir = newDir();
    const url = await ods();
    const load = await baseline(stateDir, url);
    const step = seededPick(STEPS, "S4 kill step");
    const runId = await killAtStep([PLAYBOOK, ...ACK], stateDir, step, env(url));
    const resumed = await cutover(["resume", runId], stateDir, env(url));
    const report = await load.stop();
    expect(resumed.code, `${resumed.stdout}\n${resumed.stderr}`).toBe(0);

    const events = journal(stateDir, runId);
    expectReadsNeverFailed(report);
    expectRefusalsWithin(
      report,
      firstStart(events, "maintenance-on"),
      timeOf(events, "step.succeeded", "maintenance-off"),
    );
    await expectUpgraded(stateDir, url, report);
    expect((await journalRows(url)).filter((r) => r.status === "succeeded")).toHaveLength(9);
  });
});
