/**
 * `cutover abort` at each step of the demo release, with traffic running:
 * the run is taken to a gate after the step (through the library API, which
 * the binary wraps, to spare a process start), then aborted with the real
 * `cutover abort`. Each abort must leave blue serving v1 on the v1 schema,
 * read-only mode lifted and green stopped. Split over two test files so the
 * two halves run in parallel.
 */
import { describe, expect, it } from "vitest";
import { drive, startRun } from "../../src/api/run.js";
import { startCli } from "../support/cli.js";
import { demoPlaybook } from "../support/demo-playbook.js";
import { e2eSuite, expectReadsNeverFailed, schemaVersion, startEnvironment } from "./e2e-harness.js";

const newStateDir = e2eSuite();
/** The demo's steps at or after its data barrier. */
const PAST_BARRIER = new Set(["maintenance-off", "stop-old", "serving"]);

export function abortAtEachStep(steps: string[]): void {
  describe(`cutover abort after ${steps.join(", ")}`, () => {
    it("leaves blue serving v1 on the v1 schema each time, and reads never fail", async () => {
      const stateDir = newStateDir();
      const { status, load, client } = await startEnvironment(stateDir);
      for (const step of steps) {
        const held = await drive(
          await startRun(demoPlaybook(stateDir, { holdAfter: step }), { stateDir, params: { grace: "0s" } }),
        );
        expect(held.status, `run held after ${step}`).toBe("paused");
        // Past the demo's data barrier (maintenance-off) abort is
        // refused until the loss is accepted (docs/operations.md).
        const pastBarrier = PAST_BARRIER.has(step);
        if (pastBarrier) expect((await startCli(["abort", held.runId], { stateDir, json: true }).done).code).toBe(2);
        const accept = pastBarrier ? ["--accept-data-loss"] : [];
        const abort = startCli(["abort", held.runId, ...accept, "--reason", `test: abort after ${step}`], {
          stateDir,
          json: true,
        });
        // Everything was undone: the abort exits 0 (docs/design.md, exit codes).
        expect((await abort.done).code, `abort after ${step}`).toBe(0);
        expect(abort.events.find((e) => e.type === "run.finished")?.outcome).toBe("aborted");

        const now = await client.status();
        expect(now.live, `live after aborting at ${step}`).toBe("blue");
        expect(now.slots.blue, `blue after aborting at ${step}`).toMatchObject({
          version: "v1",
          health: "healthy",
          running: true,
        });
        expect(now.slots.green.running, `green after aborting at ${step}`).toBe(false);
        expect(now.flags.MaintenanceMode, `maintenance after aborting at ${step}`).toBeUndefined();
        expect(schemaVersion(stateDir), `schema after aborting at ${step}`).toBe(1);
        expect(await (await fetch(`${status.publicUrl}/version`)).json()).toEqual({ version: "v1", slot: "blue" });
      }
      expectReadsNeverFailed(await load.stop());
    });
  });
}
