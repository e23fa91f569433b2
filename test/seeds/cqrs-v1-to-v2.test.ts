/**
 * S1, CQRS Journey V1 -> V2 (playbooks/cqrs-v1-to-v2.yaml) through the built CLI, with real parts: the
 * local proxy and supervisor, web and handler processes per version, RabbitMQ, SQLite. A load generator
 * runs the whole time. Checked each time: reads never fail; writes are refused only between maintenance on
 * and off; every accepted order is recorded exactly once (none lost in the drain, none handled twice);
 * both queues end empty. Four cases: a plain release, a release whose cutover is SIGKILLed at a step and
 * resumed, a failed migration that aborts: the backup is restored (V2's event store table is gone), V1
 * serves again on V1 data, maintenance is off again; and a V2 that cannot start (it starts while V1 drains,
 * inside the maintenance window): abort ends the window at once, V1 takes the writes again.
 */
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT } from "../support/cli.js";
import {
  cutover,
  expectReadsNeverFailed,
  expectRefusalsWithin,
  journal,
  killAtStep,
  refusedWrites,
  seedSuite,
  seededPick,
  startLoad,
  timeOf,
} from "./seed-harness.js";
import { LocalClient } from "../../src/providers/local/client.js";
import {
  acceptedOf,
  cqrsSpec,
  db,
  expectEveryOrderHandledOnce,
  startBaseline,
  uniqueQueue,
  until,
} from "./cqrs-fixtures.js";

const PLAYBOOK = path.join(ROOT, "playbooks/cqrs-v1-to-v2.yaml");
const STEPS = [
  "deploy",
  "maintenance-on",
  "drain-writes",
  "drain-v1",
  "v2-in-maintenance",
  "backup",
  "migrate",
  "check-data",
  "swap",
  "maintenance-off",
];
const newDir = seedSuite("cqrs-v1-v2");

/** The environment as the playbook's baseline starts it (V1 web + handler), with the load running. */
async function baseline(stateDir: string, queue: string) {
  const url = await startBaseline(stateDir, cqrsSpec("v1", "handler", queue));
  return { url, load: startLoad(url, 0.3) };
}

describe("S1 cqrs-v1-to-v2", () => {
  it("releases V2 under load: refusals only in the maintenance window, every order recorded once", async () => {
    const stateDir = newDir();
    const queue = uniqueQueue();
    const { load } = await baseline(stateDir, queue);
    const run = await cutover(["run", PLAYBOOK, "-p", `queue=${queue}`, "-p", "grace=1s"], stateDir);
    const report = await load.stop();
    expect(run.code, run.stderr).toBe(0);

    const runId = String(JSON.parse(run.stdout.split("\n")[0]!).runId);
    const events = journal(stateDir, runId);
    expectReadsNeverFailed(report);
    expectRefusalsWithin(
      report,
      timeOf(events, "step.started", "maintenance-on"),
      timeOf(events, "step.succeeded", "maintenance-off"),
    );
    expect(refusedWrites(report).refused.length).toBeGreaterThan(0);
    expect(report.samples.some((s) => s.version === "v2")).toBe(true);

    const status = await new LocalClient({ dir: path.join(stateDir, "local") }).status();
    expect(status.slots[status.live].version).toBe("v2");
    expect(status.flags.MaintenanceMode).toBe(false);
    expect(db(stateDir, (d) => d.pragma("user_version", { simple: true }))).toBe(2);
    await expectEveryOrderHandledOnce(stateDir, acceptedOf(report), [queue, `${queue}-v2`]);
    // V2's handler recorded its own orders in the event store too; the migrated ones are there as well.
    expect(db(stateDir, (d) => (d.prepare("select count(*) as n from order_events").get() as { n: number }).n)).toBe(
      acceptedOf(report),
    );
  });

  it("a cutover killed at a step is resumed and ends where an uninterrupted release does", async () => {
    const stateDir = newDir();
    const queue = uniqueQueue();
    const { load } = await baseline(stateDir, queue);
    const step = seededPick(STEPS, "S1 kill step");
    const runId = await killAtStep([PLAYBOOK, "-p", `queue=${queue}`, "-p", "grace=1s"], stateDir, step);
    const resumed = await cutover(["resume", runId], stateDir);
    const report = await load.stop();
    expect(resumed.code, `${resumed.stdout}\n${resumed.stderr}`).toBe(0);

    expectReadsNeverFailed(report);
    const events = journal(stateDir, runId);
    expectRefusalsWithin(
      report,
      timeOf(events, "step.started", "maintenance-on"),
      timeOf(events, "step.succeeded", "maintenance-off"),
    );
    const status = await new LocalClient({ dir: path.join(stateDir, "local") }).status();
    expect(status.slots[status.live].version).toBe("v2");
    expect(status.flags.MaintenanceMode).toBe(false);
    await expectEveryOrderHandledOnce(stateDir, acceptedOf(report), [queue, `${queue}-v2`]);
  });

  it("a V2 that cannot start aborts the release: maintenance off, V1 serves and takes writes", async () => {
    const stateDir = newDir();
    const queue = uniqueQueue();
    // The playbook as shipped, but V2's web role is a program that exits at once (a broken build). Relative
    // paths made absolute, since the copy lives in the test's directory.
    const broken = path.join(stateDir, "crash.js");
    fs.writeFileSync(broken, "console.error('v2 cannot start'); process.exit(1);\n");
    const playbook = path.join(stateDir, "cqrs-v1-to-v2.yaml");
    fs.writeFileSync(
      playbook,
      fs
        .readFileSync(PLAYBOOK, "utf8")
        .replace('"../demo/cqrs/v2/web.js"', JSON.stringify(broken))
        .replaceAll("../demo/", `${ROOT}/demo/`),
    );
    const { load } = await baseline(stateDir, queue);
    const run = await cutover(["run", playbook, "-p", `queue=${queue}`], stateDir);
    expect(run.code, run.stderr).toBe(1);
    const runId = String(JSON.parse(run.stdout.split("\n")[0]!).runId);
    const events = journal(stateDir, runId);
    // Writes are accepted again once the window closed.
    const closed = timeOf(events, "undo.succeeded", "maintenance-on");
    await until("a write accepted after the window", () =>
      load.samples.some((s) => s.kind === "write" && s.status === 201 && s.start > closed + 5),
    );
    const report = await load.stop();

    expect(events.filter((e) => e.type === "run.finished").at(-1)).toMatchObject({ outcome: "aborted" });
    expect(events.filter((e) => e.type === "step.failed").map((e) => e.stepId)).toEqual(["deploy"]);
    expectReadsNeverFailed(report);
    expectRefusalsWithin(report, timeOf(events, "step.started", "maintenance-on"), closed);
    const status = await new LocalClient({ dir: path.join(stateDir, "local") }).status();
    expect(status.live).toBe("blue");
    expect(status.slots.blue.version).toBe("v1");
    expect(status.slots.green.running).toBe(false);
    expect(status.flags.MaintenanceMode).toBeUndefined();
    await expectEveryOrderHandledOnce(stateDir, acceptedOf(report), [queue]);
  });

  it("a failed migration aborts: the backup is restored, the new table is gone, V1 serves on V1 data", async () => {
    const stateDir = newDir();
    const queue = uniqueQueue();
    // The migration program fails half-way: its first script created V2's event store, its second breaks.
    const broken = path.join(stateDir, "broken-migrations");
    fs.mkdirSync(broken);
    fs.copyFileSync(
      path.join(ROOT, "demo/cqrs/migrations/0001_event_store.migrate.sql"),
      path.join(broken, "0001_event_store.migrate.sql"),
    );
    fs.writeFileSync(
      path.join(broken, "0002_message_log.migrate.sql"),
      "create table message_log (id text);\ninsert into no_such_table values (1);\n",
    );
    const { load } = await baseline(stateDir, queue);
    const run = await cutover(["run", PLAYBOOK, "-p", `queue=${queue}`, "-p", `migrations=${broken}`], stateDir);
    const report = await load.stop();
    expect(run.code, run.stderr).toBe(1);

    const runId = String(JSON.parse(run.stdout.split("\n")[0]!).runId);
    const events = journal(stateDir, runId);
    expect(events.filter((e) => e.type === "run.finished").at(-1)).toMatchObject({ outcome: "aborted" });
    expect(events.some((e) => e.type === "undo.succeeded" && e.stepId === "backup")).toBe(true);
    expectReadsNeverFailed(report);
    expectRefusalsWithin(
      report,
      timeOf(events, "step.started", "maintenance-on"),
      timeOf(events, "undo.succeeded", "maintenance-on"),
    );

    const status = await new LocalClient({ dir: path.join(stateDir, "local") }).status();
    expect(status.live).toBe("blue");
    expect(status.slots.blue.version).toBe("v1");
    expect(status.slots.green.running).toBe(false);
    expect(status.flags.MaintenanceMode).toBeUndefined();
    const tables = db(stateDir, (d) =>
      (
        d
          .prepare(
            "select name from sqlite_master where type = 'table' and name not like 'cutover%' and name not like 'sqlite%' order by 1",
          )
          .all() as { name: string }[]
      ).map((r) => r.name),
    );
    expect(tables).toEqual(["handled_messages", "orders", "processor_status"]);
    expect(db(stateDir, (d) => d.pragma("user_version", { simple: true }))).toBe(1);
    // The journal agrees: the script the restore took back is pending again.
    const rows = db(stateDir, (d) => d.prepare("select name, status from cutover_migration_journal order by id").all());
    expect(rows).toEqual([
      { name: "0001_event_store.migrate.sql", status: "succeeded" },
      { name: "0002_message_log.migrate.sql", status: "failed" },
      { name: "0001_event_store.migrate.sql", status: "undone" },
    ]);
    await expectEveryOrderHandledOnce(stateDir, acceptedOf(report), [queue]);
  });
});
