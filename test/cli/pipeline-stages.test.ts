/**
 * A run split across pipeline stages (docs/operations.md, "Runs split across pipeline stages"):
 * `run --until`, `resume --until`, `resume --only` and `cutover step` stop where asked with exit 10,
 * the run paused (reason "until"), resumable, its lease released; a stop point that cannot be reached
 * is refused (exit 2, with where in the playbook) before anything runs.
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { jsonLines, requireBuilt, runCli, tmpProject } from "../support/cli.js";

const step = (id: string, extra = "") =>
  `  - id: ${id}\n    action: exec\n${extra}` +
  `    with: { command: ["node", "-e", "require('fs').appendFileSync('trail.log', '${id};')"] }\n`;

const PLAYBOOK =
  `version: 1
name: staged
environment: { name: staged-env }
params:
  extra: { default: "no" }
steps:
` +
  step("deploy") +
  step("warm") +
  step("extra", "    when: ${{ params.extra == 'yes' }}\n") +
  step("swap") +
  step("cleanup");

let p: ReturnType<typeof tmpProject>;
beforeAll(() => requireBuilt());
beforeEach(() => {
  p = tmpProject({ "playbook.yaml": PLAYBOOK });
});
afterEach(() => p.cleanup());

const cli = (args: string[], json = false) => runCli(args, { cwd: p.dir, json });
const trail = () =>
  existsSync(path.join(p.dir, "trail.log")) ? readFileSync(path.join(p.dir, "trail.log"), "utf8") : "";
const result = (stdout: string) => jsonLines(stdout).find((e) => e.type === "result")!;
const status = (runId: string) =>
  jsonLines(cli(["status", runId], true).stdout)[0] as {
    state: { status: string; pause?: { reason: string; stepId?: string; message: string } };
    lease: unknown;
  };

describe("runs split across pipeline stages", () => {
  it("run --until stops after the step, exit 10, paused (until), resumable, lease released", () => {
    const r = cli(["run", "playbook.yaml", "--until", "warm"], true);
    expect(r.code, r.stderr).toBe(10);
    expect(trail()).toBe("deploy;warm;");
    const runId = jsonLines(r.stdout)[0]!.runId as string;
    expect(result(r.stdout)).toMatchObject({
      status: "paused",
      exitCode: 10,
      reason: "until",
      stoppedAfter: "warm",
      next: "swap", // extra is switched off by its when
    });
    const s = status(runId);
    expect(s.state.status).toBe("paused");
    expect(s.state.pause).toMatchObject({ reason: "until", stepId: "warm" });
    expect(s.lease).toBeNull(); // another job may take the environment and resume
    expect(s.state.pause!.message).toBe(
      `stopped after warm as asked (--until warm); continue with: cutover resume ${runId}`,
    );
    expect(cli(["status", runId]).stdout).toContain("stopped after warm");

    const plain = cli(["resume", runId]);
    expect(plain.code, plain.stderr).toBe(0);
    expect(trail()).toBe("deploy;warm;swap;cleanup;");
  });

  it("text mode says where it stopped and the next commands", () => {
    const r = cli(["run", "playbook.yaml", "--until", "deploy"]);
    expect(r.code, r.stderr).toBe(10);
    const runId = /run (r[\w-]+) started/.exec(r.stdout + r.stderr)![1]!;
    expect(r.stderr).toContain(`run ${runId} stopped after deploy as asked; it is resumable`);
    expect(r.stderr).toContain(`next: cutover resume ${runId}  |  cutover step ${runId} warm`);
  });

  it("resume --only / cutover step run exactly the next step; earlier pending or done steps are refused", () => {
    const runId = jsonLines(cli(["run", "playbook.yaml", "--until", "warm"], true).stdout)[0]!.runId as string;

    const early = cli(["resume", runId, "--only", "cleanup"]);
    expect(early.code).toBe(2);
    expect(early.stderr).toContain("steps run in order, and swap before cleanup has not run yet");
    expect(early.stderr).toContain(`cutover step ${runId} swap`);
    expect(trail()).toBe("deploy;warm;");

    const again = cli(["step", runId, "warm"]);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain(`step warm of run ${runId} already ran`);

    const swap = cli(["step", runId, "swap"], true);
    expect(swap.code, swap.stderr).toBe(10);
    expect(trail()).toBe("deploy;warm;swap;");
    expect(result(swap.stdout)).toMatchObject({ stoppedAfter: "swap", next: "cleanup" });
    expect(status(runId).state.pause).toMatchObject({ reason: "until", stepId: "swap" });

    const last = cli(["resume", runId, "--only", "cleanup"], true);
    expect(last.code, last.stderr).toBe(0); // the last step: the run is done
    expect(result(last.stdout)).toMatchObject({ status: "succeeded", exitCode: 0 });
    expect(trail()).toBe("deploy;warm;swap;cleanup;");
  });

  it("resume --until stops again later; --until of the last step ends the run as succeeded", () => {
    const runId = jsonLines(cli(["run", "playbook.yaml", "--until", "deploy"], true).stdout)[0]!.runId as string;
    const mid = cli(["resume", runId, "--until", "swap"]);
    expect(mid.code, mid.stderr).toBe(10);
    expect(trail()).toBe("deploy;warm;swap;");
    const done = cli(["resume", runId, "--until", "swap"]);
    expect(done.code).toBe(2); // already ran
    const end = cli(["resume", runId, "--until", "cleanup"]);
    expect(end.code, end.stderr).toBe(0);
    expect(status(runId).state.status).toBe("succeeded");
  });

  it("run --until the last step is a whole run: exit 0, succeeded", () => {
    const r = cli(["run", "playbook.yaml", "--until", "cleanup"], true);
    expect(r.code, r.stderr).toBe(0);
    expect(result(r.stdout)).toMatchObject({ status: "succeeded", exitCode: 0 });
    expect(trail()).toBe("deploy;warm;swap;cleanup;");
  });

  it("refuses, before anything runs, a step the playbook lacks or that its when switches off (exit 2, file:line)", () => {
    const unknown = cli(["run", "playbook.yaml", "--until", "wram"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/--until wram: playbook\.yaml:\d+:\d+: the playbook has no step "wram"/);
    expect(unknown.stderr).toContain("steps, in order: deploy, warm, extra, swap, cleanup");

    const off = cli(["run", "playbook.yaml", "--until", "extra"]);
    expect(off.code).toBe(2);
    const whenLine = PLAYBOOK.split("\n").findIndex((l) => l.includes("when:")) + 1;
    expect(off.stderr).toContain(`--until extra: playbook.yaml:${whenLine}:`);
    expect(off.stderr).toContain("step extra would be skipped");
    expect(trail()).toBe("");
    expect(existsSync(path.join(p.dir, ".cutover", "runs"))).toBe(false); // no run was started

    // With the param that turns it on, the same stop point is fine.
    const on = cli(["run", "playbook.yaml", "--until", "extra", "-p", "extra=yes"]);
    expect(on.code, on.stderr).toBe(10);
    expect(trail()).toBe("deploy;warm;extra;");
  });

  it("resume refuses --until with --only, and an unknown step, changing nothing", () => {
    const runId = jsonLines(cli(["run", "playbook.yaml", "--until", "deploy"], true).stdout)[0]!.runId as string;
    const both = cli(["resume", runId, "--until", "swap", "--only", "warm"]);
    expect(both.code).toBe(2);
    expect(both.stderr).toContain("--until and --only together");
    const unknown = cli(["step", runId, "nope"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('the playbook has no step "nope"');
    expect(trail()).toBe("deploy;");
    expect(status(runId).state.pause).toMatchObject({ reason: "until", stepId: "deploy" });
  });
});
