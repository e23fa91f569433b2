/**
 * Issue 9 case 3: a cleanup (contract) run is tied to the release it cleans up. Release v2 expands the schema
 * and swaps; the cleanup drops the column v1 reads. The cleanup is refused while v2 is not the environment's
 * latest succeeded release (e.g. rolled back), and once it has succeeded, `abort --rollback` of v2 is refused,
 * naming it: v1 cannot run on the contracted schema.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { jsonLines, runCli, tmpProject } from "../support/cli.js";

const release = `
version: 1
name: shop-v2
environment: { name: shop }
steps:
  - id: expand
    action: exec
    resume: rerun
    with: { command: ["node", "-e", "require('fs').writeFileSync('schema.txt', 'name,full_name')"] }
  - id: swap
    action: flag.set
    with: { name: LiveVersion, value: v2 }
`;

const cleanup = `
version: 1
name: shop-v2-contract
requires: { playbook: shop-v2, environment: shop }
steps:
  - id: contract
    action: exec
    resume: rerun
    with: { command: ["node", "-e", "require('fs').writeFileSync('schema.txt', 'full_name')"] }
`;

let p: ReturnType<typeof tmpProject>;
beforeEach(() => {
  p = tmpProject({ "release.yaml": release, "cleanup.yaml": cleanup });
});
afterEach(() => p.cleanup());

const schema = () => readFileSync(path.join(p.dir, "schema.txt"), "utf8");

function run(file: string): { code: number | null; runId: string; stderr: string } {
  const r = runCli(["run", file, "-o", "json"], { cwd: p.dir });
  return { code: r.code, runId: (jsonLines(r.stdout)[0]?.runId as string | undefined) ?? "", stderr: r.stderr };
}

describe("linked runs (issue 9 case 3)", () => {
  it("the cleanup is refused (exit 2, nothing ran) after its release was rolled back", () => {
    const v2 = run("release.yaml");
    expect(v2.code, v2.stderr).toBe(0);
    expect(runCli(["abort", v2.runId, "--rollback"], { cwd: p.dir }).code).toBe(0); // rolled back cleanly
    const c = runCli(["run", "cleanup.yaml"], { cwd: p.dir });
    expect(c.code, c.stdout + c.stderr).toBe(2);
    expect(c.stderr).toContain(v2.runId);
    expect(c.stderr).toContain("rolled back");
    expect(schema()).toBe("name,full_name");
  });

  it("the cleanup is refused before any release of shop-v2", () => {
    const c = runCli(["run", "cleanup.yaml"], { cwd: p.dir });
    expect(c.code).toBe(2);
    expect(c.stderr).toContain("shop-v2");
  });

  it("after the cleanup succeeded, --rollback of the release is refused, naming the cleanup run", () => {
    const v2 = run("release.yaml");
    expect(v2.code, v2.stderr).toBe(0);
    const c = run("cleanup.yaml");
    expect(c.code, c.stderr).toBe(0);
    expect(schema()).toBe("full_name");
    const rb = runCli(["abort", v2.runId, "--rollback"], { cwd: p.dir });
    expect(rb.code, rb.stdout + rb.stderr).toBe(2);
    expect(rb.stderr).toContain(c.runId);
    const status = jsonLines(runCli(["status", v2.runId, "-o", "json"], { cwd: p.dir }).stdout).at(-1);
    expect(status).toMatchObject({ state: { status: "succeeded" } });
    const linked = jsonLines(runCli(["status", c.runId, "-o", "json"], { cwd: p.dir }).stdout).at(-1);
    expect(linked).toMatchObject({
      state: { linked: { requires: v2.runId, playbook: "shop-v2", environment: "shop" } },
    });
    expect(runCli(["status", c.runId], { cwd: p.dir }).stdout).toContain(
      `depends on run ${v2.runId} (shop-v2 in shop)`,
    );
  });

  it("a linked run's first events are one durable write, and each of them reaches the JSON output", () => {
    expect(run("release.yaml").code).toBe(0);
    const r = runCli(["run", "cleanup.yaml", "-o", "json"], { cwd: p.dir });
    expect(r.code, r.stderr).toBe(0);
    const shown = jsonLines(r.stdout).map((e) => e.type);
    expect(shown.slice(0, 3)).toEqual(["run.started", "run.admitted", "run.linked"]);
    const runId = jsonLines(r.stdout)[0]!.runId as string;
    const journal = readFileSync(path.join(p.dir, ".cutover", "runs", `${runId}.jsonl`), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { type: string; at: string });
    // One store call stamps its events with one time: the three were written (and fsynced) together.
    expect(journal.slice(0, 3).map((e) => e.type)).toEqual(["run.started", "run.admitted", "run.linked"]);
    expect(new Set(journal.slice(0, 3).map((e) => e.at)).size).toBe(1);
  });
});
