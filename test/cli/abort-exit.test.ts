/**
 * `cutover abort` answers whether the environment is back where it was (docs/design.md, "Exit codes"):
 * 0 when the abort completed and every change was undone; 1 when an undo failed or something was left in
 * place for a person. A run that aborted itself (`onFailure: abort`) still exits 1: the release failed.
 * Before this, every completed abort exited 1 and a failed undo exited 3.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { jsonLines, requireBuilt, runCli, tmpProject } from "../support/cli.js";

const append = (text: string) => `["node", "-e", "require('fs').appendFileSync('trail.log', '${text};')"]`;

/** flag: a change with a recorded undo (exec + undo override); then a gate to abort at. */
const playbook = (flagUndo: string, extra = "") => `version: 1
name: abort-exit
steps:
  - id: flag
    action: exec
    with: { command: ${append("flag on")} }
${flagUndo}
${extra}  - id: gate
    action: gate.approval
    with: { message: "go on?" }
`;
const UNDO_OK = `    undo:\n      action: exec\n      with: { command: ${append("flag off")} }`;
const UNDO_FAILS = `    undo:\n      action: exec\n      with: { command: ["node", "-e", "process.exit(7)"] }`;

let p: ReturnType<typeof tmpProject> | undefined;
beforeAll(() => requireBuilt());
afterEach(() => p?.cleanup());

const project = (text: string) => {
  p = tmpProject({ "playbook.yaml": text });
  return p.dir;
};
const cli = (dir: string, args: string[], json = false) => runCli(args, { cwd: dir, json });
const startAtGate = (dir: string) => {
  const r = cli(dir, ["run", "playbook.yaml"], true);
  expect(r.code, r.stderr).toBe(3);
  return jsonLines(r.stdout)[0]!.runId as string;
};
const trail = (dir: string) => readFileSync(path.join(dir, "trail.log"), "utf8");

describe("cutover abort exit codes", () => {
  it("0 when every change was undone (was 1), and says the environment is back", () => {
    const dir = project(playbook(UNDO_OK));
    const runId = startAtGate(dir);
    const a = cli(dir, ["abort", runId]);
    expect(a.code, a.stderr).toBe(0);
    expect(a.stderr).toContain("the environment is back where it was");
    expect(trail(dir)).toBe("flag on;flag off;");
  });

  it("1 when an undo fails (was 3), naming it; then 1 again when a person skips it, which leaves it in place", () => {
    const dir = project(playbook(UNDO_FAILS));
    const runId = startAtGate(dir);
    const a = cli(dir, ["abort", runId]);
    expect(a.code, a.stderr).toBe(1);
    expect(a.stderr).toContain("undo of flag failed");
    const skip = cli(dir, ["skip", runId, "flag"], true);
    expect(skip.code, skip.stderr).toBe(1);
    expect(jsonLines(skip.stdout).at(-1)).toMatchObject({
      type: "result",
      status: "aborted",
      exitCode: 1,
      leftInPlace: [{ id: "flag", why: "its undo was skipped by a person" }],
    });
  });

  it("1 when a step has effects and no undo (undo: false): left in place, listed", () => {
    const dir = project(playbook("    undo: false"));
    const runId = startAtGate(dir);
    const a = cli(dir, ["abort", runId], true);
    expect(a.code, a.stderr).toBe(1);
    expect(jsonLines(a.stdout).at(-1)).toMatchObject({
      status: "aborted",
      exitCode: 1,
      leftInPlace: [{ id: "flag", why: "it has no undo" }],
    });
    expect(cli(dir, ["abort", runId]).code).toBe(2); // already finished: nothing to do
  });

  it("a run whose own onFailure: abort completed exits 1 (the release failed), even with every undo done", () => {
    const broken =
      `  - id: smoke\n    action: exec\n    onFailure: abort\n` +
      `    with: { command: ["node", "-e", "process.exit(1)"] }\n`;
    const dir = project(playbook(UNDO_OK, broken));
    const r = cli(dir, ["run", "playbook.yaml"], true);
    expect(r.code, r.stderr).toBe(1);
    expect(jsonLines(r.stdout).at(-1)).toMatchObject({ type: "result", status: "aborted", exitCode: 1 });
    expect(trail(dir)).toBe("flag on;flag off;");
  });
});
