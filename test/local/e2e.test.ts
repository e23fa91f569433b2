/**
 * The demo release through the real `cutover` binary, with traffic running
 * throughout: the full release, and SIGKILL of cutover mid-run then
 * `resume`, which completes while reads never fail.
 */
import { describe, expect, it } from "vitest";
import { startCli, type CliEvent } from "../support/cli.js";
import { demoPlaybook } from "../support/demo-playbook.js";
import { e2eSuite, expectReadsNeverFailed, schemaVersion, startEnvironment } from "./e2e-harness.js";

const newStateDir = e2eSuite();

const at = (events: CliEvent[], type: string, stepId: string) =>
  Date.parse(events.find((e) => e.type === type && e.stepId === stepId)!.at!);

describe("cutover run playbooks/local-demo.yaml", () => {
  it("releases v2 under load: reads never fail, writes are refused only in maintenance", async () => {
    const stateDir = newStateDir();
    const { status, load, client } = await startEnvironment(stateDir);
    await sleep(200);
    const run = startCli(["run", demoPlaybook(stateDir), "--yes", "-p", "grace=300ms"], { stateDir, json: true });
    expect((await run.done).code).toBe(0);
    await sleep(200);
    const report = await load.stop();

    expectReadsNeverFailed(report);
    const onStart = at(run.events, "step.started", "maintenance-on");
    const onEnd = at(run.events, "step.succeeded", "maintenance-on");
    const offStart = at(run.events, "step.started", "maintenance-off");
    const offEnd = at(run.events, "step.succeeded", "maintenance-off");
    const writes = report.samples.filter((s) => s.kind === "write");
    const refused = writes.filter((s) => s.status === 503);
    expect(refused.length).toBeGreaterThan(0);
    // Event times have millisecond resolution: allow the 1 ms rounding at the edges.
    for (const s of refused) expect(s.end >= onStart - 1 && s.start <= offEnd + 1).toBe(true);
    for (const s of writes.filter((w) => w.status === 201))
      expect(s.start < onEnd + 1 || s.end > offStart - 1).toBe(true);

    const after = await client.status();
    expect(after.live).toBe("green");
    expect(after.slots.green).toMatchObject({ version: "v2", health: "healthy" });
    expect(after.slots.blue.running).toBe(false);
    expect(after.flags).toEqual({ MaintenanceMode: false });
    expect(schemaVersion(stateDir)).toBe(2);
    expect(await (await fetch(`${status.publicUrl}/version`)).json()).toEqual({ version: "v2", slot: "green" });
  });

  it("SIGKILL of cutover mid-run, then `resume`, completes while traffic never stops", async () => {
    const stateDir = newStateDir();
    const { status, load, client } = await startEnvironment(stateDir);
    const playbook = demoPlaybook(stateDir);
    const first = startCli(["run", playbook, "--yes", "-p", "grace=1s"], { stateDir, json: true });
    await first.waitFor((e) => e.type === "step.started" && e.stepId === "migrate");
    first.child.kill("SIGKILL");
    expect((await first.done).code).toBe(null);
    const runId = first.events.find((e) => e.type === "run.started")!.runId!;
    // Read-only mode stays on while nobody runs the release; the site keeps serving reads.
    expect((await client.status()).flags).toEqual({ MaintenanceMode: true });
    await sleep(300);

    const second = startCli(["resume", runId, "--yes"], { stateDir, json: true });
    await second.waitFor((e) => e.type === "step.started" && e.stepId === "stop-old");
    second.child.kill("SIGKILL");
    expect((await second.done).code).toBe(null);
    await sleep(300);

    const third = startCli(["resume", runId, "--yes"], { stateDir, json: true });
    expect((await third.done).code).toBe(0);
    const report = await load.stop();
    expectReadsNeverFailed(report);
    expect(report.samples.some((s) => s.version === "v2" && s.kind === "write" && s.status === 201)).toBe(true);

    const after = await client.status();
    expect(after).toMatchObject({ live: "green", flags: { MaintenanceMode: false } });
    expect(after.slots.blue.running).toBe(false);
    expect(schemaVersion(stateDir)).toBe(2);
    expect(await (await fetch(`${status.publicUrl}/version`)).json()).toEqual({ version: "v2", slot: "green" });
  });
});

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
