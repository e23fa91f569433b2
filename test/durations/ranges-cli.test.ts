/**
 * Duration ranges through the built CLI (issue 14, item 6). A duration no Node timer can hold used to pass
 * `validate`, then time out in 1 ms (`timeout: 600h`), die with `[INTERNAL] The value of "delay" is out of
 * range` leaving the run "running" (`2000h`, `0.5`, `1e10`), or spin the lease heartbeat (`lease.ttl: 10000h`).
 * Each is now refused where it is written, by `validate` and by `run` before anything happens.
 */
import fs from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { runCli, tmpProject } from "../support/cli.js";

let project: ReturnType<typeof tmpProject> | undefined;
afterEach(() => project?.cleanup());

/** A playbook of one 200 ms wait; `step` is a line under the step (line 7), `top` a line before `steps:` (line 3). */
function playbook(o: { step?: string; wait?: string; top?: string }): string {
  return [
    "version: 1",
    "name: durations",
    ...(o.top ? [o.top] : []),
    "steps:",
    "  - id: soak",
    "    action: wait.duration",
    `    with: { duration: ${o.wait ?? "200ms"} }`,
    ...(o.step ? [`    ${o.step}`] : []),
    "",
  ].join("\n");
}

const CASES: { name: string; yaml: string; at: string; message: RegExp }[] = [
  {
    name: "timeout: 600h",
    yaml: playbook({ step: "timeout: 600h" }),
    at: "7:14: steps[0].timeout",
    message: /600h is out of range: must be at most 7d/,
  },
  {
    name: "timeout: 2000h",
    yaml: playbook({ step: "timeout: 2000h" }),
    at: "7:14: steps[0].timeout",
    message: /must be at most 7d/,
  },
  {
    name: "timeout: 0.5",
    yaml: playbook({ step: "timeout: 0.5" }),
    at: "7:14: steps[0].timeout",
    message: /whole number of milliseconds/,
  },
  {
    name: "timeout: 1e10",
    yaml: playbook({ step: "timeout: 1e10" }),
    at: "7:14: steps[0].timeout",
    message: /must be at most 7d/,
  },
  {
    name: "timeout: 0",
    yaml: playbook({ step: "timeout: 0" }),
    at: "7:14: steps[0].timeout",
    message: /must be at least 1ms/,
  },
  {
    name: "lease.ttl: 10000h",
    yaml: playbook({ top: "lease: { ttl: 10000h }" }),
    at: "3:15: lease.ttl",
    message: /must be at most 1d/,
  },
  {
    name: "lease.ttl: 1s",
    yaml: playbook({ top: "lease: { ttl: 1s }" }),
    at: "3:15: lease.ttl",
    message: /must be at least 5s/,
  },
  {
    name: "retry.delay: 2000h",
    yaml: playbook({ step: "retry: { maxRetries: 1, delay: 2000h }" }),
    at: "7:36: steps[0].retry.delay",
    message: /must be at most 1d/,
  },
  {
    name: "wait.duration: 2000h",
    yaml: playbook({ wait: "2000h" }),
    at: "6:23: steps[0].with.duration",
    message: /must be at most 7d/,
  },
];

describe.each(CASES)("$name", ({ yaml, at, message }) => {
  it("validate refuses it where it is written (exit 2)", () => {
    project = tmpProject({ "playbook.yaml": yaml });
    const r = runCli(["validate", "playbook.yaml"], { cwd: project.dir });
    expect(r.code).toBe(2);
    const line = r.stderr.split("\n").find((l) => l.includes(`playbook.yaml:${at}`));
    expect(line, r.stderr).toMatch(message);
    expect(r.stderr + r.stdout).not.toContain("INTERNAL");
  });

  it("run refuses it before anything happens (exit 2, no run journaled)", () => {
    project = tmpProject({ "playbook.yaml": yaml });
    const r = runCli(["run", "playbook.yaml"], { cwd: project.dir });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain(`playbook.yaml:${at}`);
    expect(r.stderr + r.stdout).not.toContain("INTERNAL");
    const runs = path.join(project.dir, ".cutover", "runs");
    expect(fs.existsSync(runs) ? fs.readdirSync(runs) : []).toEqual([]);
  });
});

describe("the largest durations each field allows", () => {
  it("run with them: the step is not timed out early and the lease heartbeat does not spin", () => {
    project = tmpProject({ "playbook.yaml": playbook({ top: "lease: { ttl: 1d }", step: "timeout: 7d" }) });
    const r = runCli(["run", "playbook.yaml"], { cwd: project.dir });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toMatch(/TimeoutOverflowWarning|timed out|exceeded/);
  });
});

describe("a duration that comes from a param", () => {
  const yaml = [
    "version: 1",
    "name: durations",
    "params:",
    "  wait: { type: string }",
    "steps:",
    "  - id: soak",
    "    action: wait.duration",
    "    with: { duration: '${{ params.wait }}' }",
    "    onFailure: abort",
    "",
  ].join("\n");

  it("is checked against the same range when the step resolves it, as a failed step, never an internal error", () => {
    project = tmpProject({ "playbook.yaml": yaml });
    const r = runCli(["run", "playbook.yaml", "-p", "wait=2000h"], { cwd: project.dir });
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr + r.stdout).toMatch(/duration: 2000h is out of range: must be at most 7d/);
    expect(r.stderr + r.stdout).not.toContain("INTERNAL");
    const status = runCli(["status", "-o", "json"], { cwd: project.dir });
    expect(status.stdout).toMatch(/"status":"aborted"/);
  });
});
