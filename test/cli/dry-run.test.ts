/**
 * Defect 10: `run --dry-run` is `plan` with the params resolved; it never reaches an action (the
 * per-action `ctx.dryRun` branches it was meant to drive are gone, with the field). This pins the
 * behaviour kept: every step described with its params resolved, nothing run, no lease, no journal.
 */
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { jsonLines, requireBuilt, runCli, tmpProject } from "../support/cli.js";

const playbook =
  `version: 1
name: dry
params:
  version: { type: string, required: true }
steps:
  - id: build
    action: exec
    resume: rerun
    with: { command: ["node", "-e", "require('fs').writeFileSync('marker', process.argv[1])", "\${{ params.version ` +
  `}}"] }
  - id: maintenance-on
    action: flag.set
    with: { name: MaintenanceMode, value: true }
  - id: settle
    action: wait.duration
    with: { duration: 1h }
`;

let p: ReturnType<typeof tmpProject>;
beforeAll(() => {
  requireBuilt();
  p = tmpProject({ "playbook.yaml": playbook });
});
afterAll(() => p.cleanup());

describe("run --dry-run", () => {
  it("describes every step with its params resolved and changes nothing", () => {
    const r = runCli(["run", "playbook.yaml", "--dry-run", "-p", "version=v9"], { cwd: p.dir });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/build \[exec\] run node -e .* v9/);
    expect(r.stdout).toContain("maintenance-on [flag.set] set flag MaintenanceMode to true");
    expect(r.stdout).toContain("settle [wait.duration] wait 1h");
    expect(r.stdout).toContain("nothing was changed and no lease was taken");
    // Nothing ran (no marker), no flag file, no journal or lease: the project holds only the playbook.
    expect(fs.readdirSync(p.dir)).toEqual(["playbook.yaml"]);
  });

  it("-o json: one plan object marked dryRun, with the resolved summaries", () => {
    const r = runCli(["run", "playbook.yaml", "--dry-run", "-p", "version=v9", "-o", "json"], { cwd: p.dir });
    expect(r.code).toBe(0);
    const [plan] = jsonLines(r.stdout) as { type: string; dryRun: boolean; steps: { id: string; summary: string }[] }[];
    expect(plan).toMatchObject({ type: "plan", dryRun: true });
    expect(plan!.steps.map((s) => s.id)).toEqual(["build", "maintenance-on", "settle"]);
    expect(plan!.steps[0]!.summary).toMatch(/ v9$/);
    expect(fs.existsSync(path.join(p.dir, ".cutover"))).toBe(false);
  });

  it("still refuses a missing required param (exit 2) before describing anything", () => {
    const r = runCli(["run", "playbook.yaml", "--dry-run"], { cwd: p.dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('param "version" is required');
  });
});
