/**
 * The worst moments to lose cutover: SIGKILL while the swap step has switched
 * traffic to green but not yet journaled its success (here its verification
 * is still polling), and while the old version waits to be
 * stopped. `cutover abort` must still leave blue serving v1 on the
 * v1 schema: the interrupted swap is undone from its checkpoint before the
 * deploy's undo stops green, and reads never fail.
 */
import fs from "node:fs";
import { describe, expect, it } from "vitest";
import { parseDocument, type YAMLMap, type YAMLSeq } from "yaml";
import { startCli } from "../support/cli.js";
import { demoPlaybook } from "../support/demo-playbook.js";
import { e2eSuite, expectReadsNeverFailed, schemaVersion, startEnvironment } from "./e2e-harness.js";

const newStateDir = e2eSuite();

describe("SIGKILL of cutover inside a step, then `cutover abort`", () => {
  it("swaps back from the checkpoint, then undoes the rest: blue serves v1 on the v1 schema", async () => {
    const stateDir = newStateDir();
    const { status, load, client } = await startEnvironment(stateDir);
    // A verification that never passes keeps the step running after the switch, for as long as the test needs.
    const playbook = demoPlaybook(stateDir);
    const doc = parseDocument(fs.readFileSync(playbook, "utf8"));
    const steps = doc.get("steps") as YAMLSeq<YAMLMap>;
    steps.items
      .find((s) => s.get("id") === "swap")!
      .setIn(["with", "verify"], doc.createNode({ path: "/version", bodyContains: "never-there", timeout: "60s" }));
    fs.writeFileSync(playbook, doc.toString());

    const run = startCli(["run", playbook, "--yes", "-p", "grace=0s"], { stateDir, json: true });
    await run
      .waitFor((e) => e.type === "step.started" && e.stepId === "swap")
      .catch((e: unknown) => {
        throw new Error(`${String(e)}\nevents: ${JSON.stringify(run.events.slice(-5))}`);
      });
    while ((await client.status()).live !== "green") await new Promise((r) => setTimeout(r, 20));
    run.child.kill("SIGKILL");
    expect((await run.done).code).toBe(null);
    const runId = run.events.find((e) => e.type === "run.started")!.runId!;
    // What the on-call sees first: the run is not running any more, whatever the journal's last word.
    const shown = startCli(["status", runId], { stateDir, json: true });
    expect((await shown.done).code).toBe(0);
    expect(shown.events[0]).toMatchObject({ type: "status", driverGone: true, state: { status: "running" } });
    const listed = startCli(["runs"], { stateDir, json: true });
    expect((await listed.done).code).toBe(0);
    expect(listed.events[0]).toMatchObject({ type: "run", runId, status: "running", step: "swap", driverGone: true });

    const abort = startCli(["abort", runId, "--reason", "test: killed mid-swap"], { stateDir, json: true });
    expect((await abort.done).code).toBe(0); // every change undone: the environment is back
    const undone = abort.events.filter((e) => e.type === "undo.succeeded").map((e) => e.stepId);
    expect(undone.slice(0, 2)).toEqual(["swap", "migrate"]);
    expect(undone).toContain("deploy");

    const now = await client.status();
    expect(now.live).toBe("blue");
    expect(now.slots.blue).toMatchObject({ version: "v1", health: "healthy", running: true });
    expect(now.slots.green.running).toBe(false);
    expect(now.flags.MaintenanceMode).toBeUndefined();
    expect(schemaVersion(stateDir)).toBe(1);
    expect(await (await fetch(`${status.publicUrl}/version`)).json()).toEqual({ version: "v1", slot: "blue" });
    expectReadsNeverFailed(await load.stop());
  });

  it(
    "killed while the old version waits out its grace " + "period: abort brings it back before swapping to it",
    async () => {
      const stateDir = newStateDir();
      const { status, load, client } = await startEnvironment(stateDir);
      const run = startCli(["run", demoPlaybook(stateDir), "--yes", "-p", "grace=30s"], { stateDir, json: true });
      // Past its checkpoint, inside the grace period: kill cutover there, then stop blue as the
      // killed step was about to (the same state as a kill just after the stop).
      await run.waitFor((e) => e.type === "step.checkpoint" && e.stepId === "stop-old");
      run.child.kill("SIGKILL");
      expect((await run.done).code).toBe(null);
      await client.stop("blue", { drainTimeoutMs: 1000, killAfterMs: 2000 });
      const runId = run.events.find((e) => e.type === "run.started")!.runId!;

      // stop-old comes after the demo's data barrier (maintenance-off): undoing the release needs the loss accepted.
      const abort = startCli(
        ["abort", runId, "--accept-data-loss", "--reason", "test: killed while stopping the old version"],
        {
          stateDir,
          json: true,
        },
      );
      expect((await abort.done).code).toBe(0); // every change undone: the environment is back
      expect(abort.events.filter((e) => e.type === "undo.succeeded").map((e) => e.stepId)[0]).toBe("stop-old");
      const now = await client.status();
      expect(now.live).toBe("blue");
      expect(now.slots.blue).toMatchObject({ version: "v1", health: "healthy", running: true });
      expect(now.slots.green.running).toBe(false);
      expect(schemaVersion(stateDir)).toBe(1);
      expect(await (await fetch(`${status.publicUrl}/version`)).json()).toEqual({ version: "v1", slot: "blue" });
      expectReadsNeverFailed(await load.stop());
    },
  );
});
