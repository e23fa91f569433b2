/**
 * `cutover status` on one screen for whoever is on call: where the run stands and since when, the exact next
 * commands for that state, what each completed step changed (journaled with its success), and what abort would
 * undo and leave, wrapped to the terminal's width with the "nothing to undo" steps folded into one line.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { requireBuilt, runCli, tmpProject } from "../support/cli.js";

const gated = `
version: 1
name: gated
environment:
  flags: { provider: file }
steps:
  - id: settle-caches-for-a-moment
    action: wait.duration
    with: { duration: 1ms }
  - id: maint-on
    action: flag.set
    with: { name: MaintenanceMode, value: true }
  - id: read-only
    action: flag.set
    with: { name: ReadOnly, value: "orders and seats" }
  - id: let-the-queue-settle-as-well
    action: wait.duration
    with: { duration: 1ms }
  - id: announce
    action: exec
    with: { command: ["true"] }
    undo: false
  - id: approve-swap
    action: gate.approval
    with: { message: "Green looks healthy. Swap?" }
  - id: maint-off
    action: flag.set
    with: { name: MaintenanceMode, value: false }
`;

const failing = `
version: 1
name: failing
environment:
  flags: { provider: file }
steps:
  - id: maint-on
    action: flag.set
    with: { name: MaintenanceMode, value: true }
  - id: smoke
    action: exec
    with: { command: ["sh", "-c", "echo smoke test says no; exit 3"] }
`;

let project: ReturnType<typeof tmpProject>;
/** The text with every run of spaces and line breaks as one space: what a person reads, however it wrapped. */
const squash = (text: string) => text.replace(/\s+/g, " ");
const runIdOf = (out: string) => /run (r\d{8}-\d{6}-[0-9a-f]{6})/.exec(out)![1]!;

beforeAll(() => {
  requireBuilt();
  project = tmpProject({ "gated.yaml": gated, "failing.yaml": failing });
});
afterAll(() => project.cleanup());

describe("status of a run paused at a gate", () => {
  let runId: string;
  let screen: string;
  beforeAll(() => {
    const run = runCli(["run", "gated.yaml"], { cwd: project.dir });
    expect(run.code).toBe(3);
    runId = runIdOf(run.stdout + run.stderr);
    const r = runCli(["status", runId], { cwd: project.dir, env: { COLUMNS: "60" } });
    expect(r.code).toBe(0);
    screen = r.stdout;
  });

  it("says where it waits, since when, and the commands that approve or abort it", () => {
    expect(screen).toMatch(/^run \S+ {2}PAUSED at approve-swap/m);
    expect(squash(screen)).toMatch(
      /now waiting since \d\d:\d\d:\d\d UTC \(\S+\): approve-swap waits for approval: Green looks healthy\. Swap\?/,
    );
    // Commands are never broken across lines: each pastes whole.
    expect(screen).toMatch(new RegExp(`^ +next +approve: *(\n +)?cutover approve ${runId} approve-swap$`, "m"));
    expect(screen).toMatch(new RegExp(`^ +abort: *(\n +)?cutover abort ${runId}$`, "m"));
  });

  it("shows what each completed step changed, wrapped under it on a narrow terminal", () => {
    expect(squash(screen)).toMatch(/✔ maint-on succeeded \S+ MaintenanceMode \(absent\) → true ✔ read-only /);
    expect(squash(screen)).toMatch(/✔ read-only succeeded \S+ ReadOnly \(absent\) → "orders and seats" ✔ let-the/);
    expect(screen).toMatch(/^✔ settle-caches-for-a-moment +succeeded +\S+$/m); // a wait changes nothing
    expect(screen).toMatch(/^⏸ approve-swap +waiting$/m);
  });

  it("says what abort would undo and leave, folds the steps with nothing to undo, and fits 60 columns", () => {
    const flat = squash(screen);
    expect(flat).toContain("abort would undo, newest first: read-only → maint-on");
    expect(flat).toContain("abort would leave in place: announce (undo: false)");
    expect(flat).toContain("nothing to undo (2): settle-caches-for-a-moment, let-the-queue-settle-as-well");
    expect(screen.split("\n").filter((l) => l.includes("settle-caches-for-a-moment"))).toHaveLength(2);
    // Only a command (whole, to paste) or the playbook's path may be longer.
    for (const line of screen.split("\n").filter((l) => !l.includes(runId) && !l.includes(project.dir)))
      expect(line.length, line).toBeLessThanOrEqual(60);
  });

  it("--output json carries the next commands", () => {
    const r = runCli(["status", runId], { cwd: project.dir, json: true });
    const status = JSON.parse(r.stdout) as {
      next: { commands: { what: string; command: string }[] };
      state: { steps: Record<string, { effect?: string }> };
    };
    expect(status.next.commands.map((c) => c.command)).toEqual([
      `cutover approve ${runId} approve-swap`,
      `cutover abort ${runId}`,
    ]);
    expect(status.state.steps["maint-on"]!.effect).toBe("MaintenanceMode (absent) → true");
  });

  it("an approval moves it on; the journaled effects stay", () => {
    expect(runCli(["approve", runId], { cwd: project.dir }).code).toBe(0);
    const r = runCli(["status", runId], { cwd: project.dir });
    expect(r.stdout).toMatch(/^run \S+ {2}SUCCEEDED/m);
    expect(r.stdout).toMatch(/^✔ maint-off .*MaintenanceMode true → false$/m);
    expect(r.stdout).toMatch(/^✔ approve-swap .*approved by /m);
    expect(squash(r.stdout)).toContain(`undo it, if it must be: cutover abort ${runId} --rollback`);
    // Still undoable with abort --rollback: the preview says what that would do.
    expect(r.stdout).toContain("abort --rollback would undo, newest first: maint-off → read-only → maint-on");
  });
});

describe("status of a run paused after a failure", () => {
  it("names the failed step and offers retry, skip and abort of it, with the state directory it was read from", () => {
    const run = runCli(["run", "failing.yaml", "--state-dir", "elsewhere"], { cwd: project.dir });
    expect(run.code).toBe(3);
    const runId = runIdOf(run.stdout + run.stderr);
    const r = runCli(["status", runId, "--state-dir", "elsewhere"], { cwd: project.dir, env: { COLUMNS: "200" } });
    expect(r.stdout).toMatch(/^run \S+ {2}PAUSED at smoke/m);
    expect(r.stdout).toMatch(/state +step smoke failed/);
    expect(r.stdout).toMatch(/^✖ smoke +failed .*exited with code 3/m);
    expect(squash(r.stdout)).toContain(
      `retry the step: cutover retry ${runId} smoke --state-dir elsewhere ` +
        `skip it: cutover skip ${runId} smoke --state-dir elsewhere ` +
        `abort: cutover abort ${runId} --state-dir elsewhere`,
    );
    // The commands work as printed.
    const retried = runCli(["skip", runId, "smoke", "--state-dir", "elsewhere"], { cwd: project.dir });
    expect(retried.code).toBe(0);
  });
});
