/**
 * `status --watch` on a run paused at a gate stays on it until someone moves it (before the fix it returned at
 * once with exit 3), then follows it to its next stop and ends with the result line: the run's outcome, or the
 * next pause with the command that moves it on.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { jsonLines, requireBuilt, runCli, startCli, tmpProject } from "../support/cli.js";

const playbook = `
version: 1
name: two-gates
environment:
  flags: { provider: file }
steps:
  - id: maint-on
    action: flag.set
    with: { name: MaintenanceMode, value: true }
  - id: first-gate
    action: gate.approval
    with: { message: "Deployed. Swap?" }
  - id: second-gate
    action: gate.approval
    with: { message: "Swapped. Clean up?" }
  - id: maint-off
    action: flag.set
    with: { name: MaintenanceMode, value: false }
`;

let project: ReturnType<typeof tmpProject>;
let runId: string;

beforeAll(() => {
  requireBuilt();
  project = tmpProject({ "playbook.yaml": playbook });
  const run = runCli(["run", "playbook.yaml"], { cwd: project.dir });
  expect(run.code).toBe(3);
  runId = /run (r\d{8}-\d{6}-[0-9a-f]{6})/.exec(run.stdout + run.stderr)![1]!;
});
afterAll(() => project.cleanup());

describe("status --watch", () => {
  it("stays on a paused run until it moves, then ends at the next pause with the command that continues it", async () => {
    const watch = startCli(["status", runId, "--watch"], { cwd: project.dir });
    await watch.waitForOutput("paused: first-gate waits for approval: Deployed. Swap?");
    const approve = runCli(["approve", runId, "first-gate"], { cwd: project.dir });
    expect(approve.code).toBe(3); // it ran on to the second gate
    const r = await watch.done;
    expect(r.code).toBe(3);
    expect(r.stdout).toContain("first-gate: approved by");
    expect(r.stdout).toContain("paused: second-gate waits for approval: Swapped. Clean up?");
    const result = r.stderr.trim().split("\n");
    expect(result[0]).toBe(`⏸ run ${runId} is paused: second-gate waits for approval: Swapped. Clean up?`);
    expect(result.slice(1).map((l) => l.trim().replace(/\s+/g, " "))).toEqual([
      `approve: cutover approve ${runId} second-gate`,
      `abort: cutover abort ${runId}`,
    ]);
  });

  it("with -o json, ends with a result line after the run's last event", async () => {
    const watch = startCli(["status", runId, "--watch"], { cwd: project.dir, json: true });
    await watch.waitFor((e) => e.type === "run.paused" && e.stepId === "second-gate");
    expect(runCli(["approve", runId, "second-gate"], { cwd: project.dir }).code).toBe(0);
    const r = await watch.done;
    expect(r.code).toBe(0);
    const lines = jsonLines(r.stdout);
    expect(lines.at(-2)).toMatchObject({ type: "run.finished", outcome: "succeeded" });
    expect(lines.at(-1)).toMatchObject({ type: "result", runId, status: "succeeded", exitCode: 0 });
  });

  it("on a run stopped as asked (--until, a pipeline stage's end), reports it at once with exit 10", () => {
    const stage = tmpProject({ "playbook.yaml": playbook.replace("name: two-gates", "name: stages") });
    try {
      const run = runCli(["run", "playbook.yaml", "--until", "maint-on", "-o", "json"], { cwd: stage.dir });
      expect(run.code).toBe(10);
      const stopped = jsonLines(run.stdout)[0]!.runId as string;
      const r = runCli(["status", stopped, "--watch"], { cwd: stage.dir });
      expect(r.code).toBe(10);
      expect(r.stderr.replace(/\s+/g, " ")).toContain(`continue: cutover resume ${stopped}`);
    } finally {
      stage.cleanup();
    }
  });

  it("on a finished run, prints it and its result at once", () => {
    const r = runCli(["status", runId, "--watch"], { cwd: project.dir });
    expect(r.code).toBe(0);
    expect(r.stderr.trim()).toBe(`✔ run ${runId} succeeded`);
  });
});
