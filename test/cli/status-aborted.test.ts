/**
 * One run through the states on-call meets, each with its next commands: running in another process (who holds
 * the lease), crashed (resume or abort), aborted. A run aborted midway shows as aborted: the step the crash cut
 * short is "stopped", never "running", and nothing calls it the current step (before the fix, `status` showed
 * `▶ hold running` and `current hold (attempt 1)` under an ABORTED header).
 */
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { requireBuilt, runCli, startCli, tmpProject } from "../support/cli.js";

const playbook = `
version: 1
name: cut-short
environment:
  flags: { provider: file }
steps:
  - id: maint-on
    action: flag.set
    with: { name: MaintenanceMode, value: true }
  - id: hold
    action: exec
    resume: rerun
    # Holds until the test lets it go (a file appears), so the CLI can be killed while it runs.
    with: { command: ["sh", "-c", "while [ ! -f release ]; do sleep 0.05; done"] }
  - id: after
    action: exec
    with: { command: ["true"] }
`;

let project: ReturnType<typeof tmpProject>;
let runId: string;

let run: ReturnType<typeof startCli>;

beforeAll(async () => {
  requireBuilt();
  project = tmpProject({ "playbook.yaml": playbook });
  run = startCli(["run", "playbook.yaml"], { cwd: project.dir, json: true });
  const started = await run.waitFor((e) => e.type === "step.started" && e.stepId === "hold");
  runId = started.runId!;
}, 60_000);

afterAll(() => {
  run.child.kill("SIGKILL");
  fs.writeFileSync(path.join(project.dir, "release"), "");
  project.cleanup();
});

describe("status of a run running in another process", () => {
  it("names the lease holder, the current step with its start and elapsed time, and how to follow it", () => {
    const r = runCli(["status", runId], { cwd: project.dir });
    expect(r.stdout).toMatch(/^run \S+ {2}RUNNING$/m);
    expect(r.stdout).toMatch(new RegExp(`state +running in \\S+@\\S+ \\(pid ${run.child.pid}\\), lease renewed until`));
    expect(r.stdout).toMatch(/now +hold started \d\d:\d\d:\d\d UTC, running for \S+/);
    expect(r.stdout).toMatch(/^▶ hold +running/m);
    expect(r.stdout.replace(/\s+/g, " ")).toContain(`follow it: cutover status ${runId} --watch`);
  });
});

describe("status of a run whose cutover crashed", () => {
  it("says nothing runs it and offers resume and abort", async () => {
    run.child.kill("SIGKILL"); // a crash while `hold` runs: its journal ends at step.started
    await run.done;
    const r = runCli(["status", runId], { cwd: project.dir });
    expect(r.stdout).toMatch(/RUNNING {2}\(but nothing is running it\)/);
    expect(r.stdout.replace(/\s+/g, " ")).toMatch(/lease: \S+@\S+ pid \d+ run \S+ \(its process is gone\)/);
    expect(r.stdout).toMatch(/^■ hold +stopped +did not complete/m);
    expect(r.stdout.replace(/\s+/g, " ")).toContain(
      `next continue: cutover resume ${runId} abort: cutover abort ${runId}`,
    );
    expect(r.stdout).toContain("abort would undo, newest first: maint-on");
  });
});

describe("status of a run aborted midway", () => {
  beforeAll(() => {
    fs.writeFileSync(path.join(project.dir, "release"), ""); // the orphaned step's program may end now
    const abort = runCli(["abort", runId], { cwd: project.dir });
    expect(abort.stderr).toContain("aborted");
  });

  it("says ABORTED and shows the cut-short step as stopped, not running", () => {
    const r = runCli(["status", runId], { cwd: project.dir });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^run \S+ {2}ABORTED/m);
    expect(r.stdout).not.toMatch(/running/);
    expect(r.stdout).not.toMatch(/current|^ {2}now /m);
    expect(r.stdout).toMatch(/^■ hold +stopped .*did not complete/m);
    expect(r.stdout).toMatch(/^✔ maint-on +succeeded .*MaintenanceMode \(absent\) → true; ↶ undone/m);
    expect(r.stdout).toMatch(/^○ after +pending/m);
    expect(r.stdout).toMatch(/state +aborted; left in place, to check by hand: hold/);
  });

  it("--output json carries the same next steps", () => {
    const r = runCli(["status", runId], { cwd: project.dir, json: true });
    const status = JSON.parse(r.stdout) as { state: { status: string }; next: { say: string; commands: unknown[] } };
    expect(status.state.status).toBe("aborted");
    expect(status.next).toEqual({ say: "aborted; left in place, to check by hand: hold", commands: [] });
  });
});
