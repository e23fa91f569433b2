/**
 * S2, CQRS Journey V2 -> V3 without downtime (playbooks/cqrs-v2-to-v3.yaml), through the built CLI with real
 * parts (local proxy and supervisor, web roles, command processors and V3's rebuild worker as processes,
 * RabbitMQ, SQLite) and a load generator running. Checked each time: zero refused writes and no failed
 * read across the release; every accepted order handled exactly once (none lost while no processor ran,
 * none twice when the processors handed over); the queue ends empty; V3's read model agrees with the
 * orders; the seed's backup was taken before V3's processor ran, to a private file. Cases: a plain release; a cutover SIGKILLed at a step and resumed; the same kill followed by
 * abort, which leaves V2 serving with its own processor running again.
 */
import fs from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
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
import { ROOT } from "../support/cli.js";
import {
  cutover,
  expectReadsNeverFailed,
  killAtStep,
  refusedWrites,
  seedSuite,
  seededPick,
  startLoad,
} from "./seed-harness.js";

const PLAYBOOK = path.join(ROOT, "playbooks/cqrs-v2-to-v3.yaml");
const STEPS = [
  "backup",
  "deploy",
  "read-model-ready",
  "v2-processor-off",
  "v2-processor-ready",
  "v3-processor-on",
  "swap",
];
const newDir = seedSuite("cqrs-v2-v3");
/** V2 serving (web + processor) on a fresh database, the load running, some orders already placed. */
async function baseline(stateDir: string, queue: string) {
  const load = startLoad(await startBaseline(stateDir, cqrsSpec("v2", "processor", queue)), 0.3);
  // Let V2 take some orders first, so V3's rebuild has history to replay.
  await until("V2 to accept orders", () => acceptedOf(load) >= 20, 30_000);
  return load;
}

describe("S2 cqrs-v2-to-v3", () => {
  it("releases V3 with zero refused writes; every order handled once; the read model agrees", async () => {
    const stateDir = newDir();
    const queue = uniqueQueue();
    const load = await baseline(stateDir, queue);
    const run = await cutover(["run", PLAYBOOK, "-p", `queue=${queue}`, "-p", "grace=1s"], stateDir);
    const report = await load.stop();
    expect(run.code, `${run.stderr}\n${run.stdout.slice(-3000)}`).toBe(0);

    expectReadsNeverFailed(report);
    expect(refusedWrites(report).refused).toEqual([]);
    expect(report.samples.some((s) => s.version === "v3")).toBe(true);
    const status = await new LocalClient({ dir: path.join(stateDir, "local") }).status();
    expect(status.slots[status.live].version).toBe("v3");
    expect(
      status.slots[status.live].workers?.map((w) => [w.name, w.running]),
      JSON.stringify(status.slots),
    ).toEqual([
      ["rebuild", true],
      ["processor", true],
    ]);
    const accepted = acceptedOf(report);
    await expectEveryOrderHandledOnce(stateDir, accepted, [queue]);
    expect(db(stateDir, (d) => (d.prepare("select count(*) as n from order_events").get() as { n: number }).n)).toBe(
      accepted,
    );
    // The seed's note: a backup of the database "before you begin the migration" (V3's processor taking the
    // commands over), to a file only its owner reads, holding the orders placed before the run.
    const backups = path.join(stateDir, "backups");
    const files = fs.readdirSync(backups, { recursive: true, encoding: "utf8" }).filter((f) => f.endsWith(".backup"));
    expect(files).toHaveLength(1);
    const file = path.join(backups, files[0]!);
    expect(fs.statSync(file).mode & 0o077).toBe(0);
    const copy = new Database(file, { readonly: true });
    try {
      const backedUp = (copy.prepare("select count(*) as n from order_events").get() as { n: number }).n;
      expect(backedUp).toBeGreaterThanOrEqual(20);
      expect(backedUp).toBeLessThanOrEqual(accepted);
      expect(copy.prepare("select count(*) as n from handled_messages where handled_by = 'v3'").get()).toEqual({
        n: 0,
      });
    } finally {
      copy.close();
    }
    // V3's projection follows the event store: once caught up, its totals are the orders' quantities.
    await until("the read model to catch up", () =>
      db(stateDir, (d) => {
        const total = (d.prepare("select coalesce(sum(quantity), 0) as n from v3_seat_totals").get() as { n: number })
          .n;
        return total === accepted;
      }),
    );
  });

  it("a cutover killed at a step is resumed: same end state, still no refused write", async () => {
    const stateDir = newDir();
    const queue = uniqueQueue();
    const load = await baseline(stateDir, queue);
    const step = seededPick(STEPS, "S2 kill step");
    const runId = await killAtStep([PLAYBOOK, "-p", `queue=${queue}`, "-p", "grace=1s"], stateDir, step);
    const resumed = await cutover(["resume", runId], stateDir);
    const report = await load.stop();
    expect(resumed.code, `${resumed.stdout}\n${resumed.stderr}`).toBe(0);

    expectReadsNeverFailed(report);
    expect(refusedWrites(report).refused).toEqual([]);
    const status = await new LocalClient({ dir: path.join(stateDir, "local") }).status();
    expect(status.slots[status.live].version).toBe("v3");
    await expectEveryOrderHandledOnce(stateDir, acceptedOf(report), [queue]);
  });

  it("abort after a kill: V2 serves with its own processor running again, V3 is stopped, nothing lost", async () => {
    const stateDir = newDir();
    const queue = uniqueQueue();
    const load = await baseline(stateDir, queue);
    const step = seededPick(STEPS, "S2 abort step");
    const runId = await killAtStep([PLAYBOOK, "-p", `queue=${queue}`], stateDir, step);
    const aborted = await cutover(["abort", runId, "--reason", "test"], stateDir);
    const report = await load.stop();
    expect(aborted.code, `${aborted.stdout}\n${aborted.stderr}`).toBe(0);

    expectReadsNeverFailed(report);
    expect(refusedWrites(report).refused).toEqual([]);
    const client = new LocalClient({ dir: path.join(stateDir, "local") });
    const status = await client.status();
    expect(status.live).toBe("blue");
    expect(status.slots.blue.version).toBe("v2");
    expect(status.slots.green.running).toBe(false);
    expect(Object.keys(status.flags).filter((k) => k.startsWith("ProcessorMaintenance"))).toEqual([]);
    await until("V2's processor to run again", async () => {
      const h = (await (await fetch(`${status.publicUrl}/health`)).json()) as { processor: string };
      return h.processor === "running";
    });
    await expectEveryOrderHandledOnce(stateDir, acceptedOf(report), [queue]);
  });
});
