/**
 * "What changed so far" for a migration: migrate.run journals which scripts it applied (`applied 0001–0003`),
 * and a second step that finds nothing pending says so (not the first step's scripts again, as before the fix); `status` shows both lines, and the effect is in the journal
 * (step.succeeded's `effect`), not recomputed.
 */
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { jsonLines, requireBuilt, runCli, tmpProject } from "../support/cli.js";

const playbook = `
version: 1
name: schema
environment:
  db: { provider: sqlite, path: app.db }
steps:
  - id: migrate
    action: migrate.run
    with: { dir: scripts, phase: migrate }
  - id: migrate-again
    action: migrate.run
    with: { dir: scripts, phase: migrate }
`;

let project: ReturnType<typeof tmpProject>;
beforeAll(() => {
  requireBuilt();
  project = tmpProject({ "playbook.yaml": playbook });
  const scripts = path.join(project.dir, "scripts");
  fs.mkdirSync(path.join(scripts, "checks"), { recursive: true });
  fs.writeFileSync(path.join(scripts, "0001_orders.migrate.sql"), "create table orders (id integer primary key);");
  fs.writeFileSync(path.join(scripts, "0002_status.migrate.sql"), "alter table orders add column status text;");
  fs.writeFileSync(path.join(scripts, "0003_seats.migrate.sql"), "create table seats (id integer primary key);");
});
afterAll(() => project.cleanup());

describe("what a migration changed", () => {
  it("is journaled with the step's success and shown by status", () => {
    const run = runCli(["run", "playbook.yaml", "-o", "json"], { cwd: project.dir });
    expect(run.code, run.stderr).toBe(0);
    const effects = jsonLines(run.stdout)
      .filter((e) => e.type === "step.succeeded")
      .map((e) => [e.stepId, e.effect]);
    expect(effects).toEqual([
      ["migrate", "applied 0001–0003 (3 'migrate' scripts)"],
      ["migrate-again", "no pending 'migrate' script: nothing changed; this run applied 0001–0003 in all"],
    ]);
    const status = runCli(["status"], { cwd: project.dir, env: { COLUMNS: "120" } });
    expect(status.stdout).toMatch(/^✔ migrate +succeeded +\S+ +applied 0001–0003 \(3 'migrate' scripts\)$/m);
    expect(status.stdout).toMatch(/^✔ migrate-again +succeeded +\S+ +no pending 'migrate' script: nothing changed;/m);
  });

  it("a journal written before effects were journaled (format 2) still reads: its steps show no effect", () => {
    const runs = path.join(project.dir, ".cutover", "runs");
    const file = path.join(
      runs,
      fs.readdirSync(runs).find((f) => f.endsWith(".jsonl"))!,
    );
    const lines = fs.readFileSync(file, "utf8").trimEnd().split("\n");
    const older = lines.map((l) => {
      const { effect: _effect, ...e } = JSON.parse(l) as Record<string, unknown>;
      return JSON.stringify(e.type === "run.started" ? { ...e, formatVersion: 2 } : e);
    });
    fs.writeFileSync(file, older.join("\n") + "\n");
    const status = runCli(["status"], { cwd: project.dir, env: { COLUMNS: "120" } });
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toMatch(/^✔ migrate +succeeded +\S+$/m);
    expect(status.stdout).not.toContain("applied 0001");
  });
});
