/**
 * Issue 9 case 2: rollback after writes resumed must not delete them. A release moves users onto a copy of
 * the data ("the clone"), then lifts read-only (a data barrier). Users write rows to the clone. `abort --rollback`
 * would run the clone step's undo (delete the clone): refused, exit 2, naming the barrier, unless
 * `--accept-data-loss --reason`, which is journaled with who and why.
 */
import { existsSync, readFileSync, appendFileSync } from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { jsonLines, runCli, tmpProject } from "../support/cli.js";

const playbook =
  `
version: 1
name: clone-release
steps:
  - id: clone
    action: exec
    resume: rerun
    with: { command: ["node", "-e", "require('fs').mkdirSync('clone'); require('fs').writeFileSync('clone/rows.txt', ` +
  `'v1 rows\\\\n')"] }
    undo:
      action: exec
      with: { command: ["node", "-e", "require('fs').rmSync('clone', { recursive: true })"] }
  - id: read-only-off
    action: flag.set
    with: { name: ReadOnly, value: false }
    barrier: { reason: "writes resume on the clone" }
  - id: smoke
    action: exec
    resume: rerun
    with: { command: ["node", "-e", "console.log('ok')"] }
`;

let p: ReturnType<typeof tmpProject>;
beforeEach(() => {
  p = tmpProject({ "playbook.yaml": playbook });
});
afterEach(() => p.cleanup());

function release(): string {
  const r = runCli(["run", "playbook.yaml", "-o", "json"], { cwd: p.dir });
  expect(r.code, r.stderr).toBe(0);
  return jsonLines(r.stdout)[0]!.runId as string;
}

/** Sixty rows users wrote after the barrier: real data the clone step's undo would delete. */
function usersWrite(): string {
  const rows = path.join(p.dir, "clone", "rows.txt");
  for (let i = 0; i < 60; i++) appendFileSync(rows, `user row ${i}\n`);
  return rows;
}

describe("data barriers (issue 9 case 2)", () => {
  it("abort --rollback past a barrier is refused with exit 2 and says what would be lost; the rows stay", () => {
    const runId = release();
    const rows = usersWrite();
    const r = runCli(["abort", runId, "--rollback"], { cwd: p.dir });
    expect(r.code, r.stdout + r.stderr).toBe(2);
    expect(r.stderr).toContain("read-only-off");
    expect(r.stderr).toContain("writes resume on the clone");
    expect(r.stderr).toContain("clone");
    expect(r.stderr).toContain("--accept-data-loss");
    expect(
      readFileSync(rows, "utf8")
        .split("\n")
        .filter((l) => l.startsWith("user row")),
    ).toHaveLength(60);
    const status = runCli(["status", runId, "-o", "json"], { cwd: p.dir });
    expect(jsonLines(status.stdout).at(-1)).toMatchObject({ type: "status", state: { status: "succeeded" } });
    expect(runCli(["status", runId], { cwd: p.dir }).stdout).toContain("data barrier read-only-off passed");
  });

  it("--accept-data-loss needs --reason, then undoes everything and journals who accepted it and why", () => {
    const runId = release();
    usersWrite();
    const noReason = runCli(["abort", runId, "--rollback", "--accept-data-loss"], { cwd: p.dir });
    expect(noReason.code).toBe(2);
    expect(noReason.stderr).toContain("--reason");
    const r = runCli(
      ["abort", runId, "--rollback", "--accept-data-loss", "--reason", "the clone is corrupt", "-o", "json"],
      {
        cwd: p.dir,
      },
    );
    expect(r.code, r.stderr).toBe(0); // an abort that undid everything exits 0 (docs/design.md, exit codes)
    const accepted = jsonLines(r.stdout).find((e) => e.type === "abort.data-loss-accepted");
    expect(accepted).toMatchObject({ reason: "the clone is corrupt", barriers: [{ stepId: "read-only-off" }] });
    expect((accepted!.by as { user: string }).user).toBeTruthy();
    expect(existsSync(path.join(p.dir, "clone"))).toBe(false);
  });

  it(
    "an abort the engine starts itself (onFailure: abort) " +
      "leaves the undos behind the barrier in place, saying why",
    () => {
      const failing = playbook.replace(
        `with: { command: ["node", "-e", "console.log('ok')"] }`,
        `with: { command: ["node", "-e", "require('fs').appendFileSync('clone/rows.txt', 'user row'); ` +
          `process.exit(1)"] }
    onFailure: abort`,
      );
      const q = tmpProject({ "playbook.yaml": failing });
      try {
        const r = runCli(["run", "playbook.yaml", "-o", "json"], { cwd: q.dir });
        expect(r.code, r.stderr).toBe(1);
        const skipped = jsonLines(r.stdout).filter((e) => e.type === "undo.skipped");
        expect(skipped).toEqual(
          expect.arrayContaining([
            expect.objectContaining({ stepId: "read-only-off", reason: "barrier" }),
            expect.objectContaining({ stepId: "clone", reason: "barrier" }),
          ]),
        );
        expect(readFileSync(path.join(q.dir, "clone", "rows.txt"), "utf8")).toContain("user row");
      } finally {
        q.cleanup();
      }
    },
  );

  it("plan shows where abort stops being free", () => {
    const r = runCli(["plan", "playbook.yaml", "-o", "json"], { cwd: p.dir });
    expect(r.code, r.stderr).toBe(0);
    const steps = (jsonLines(r.stdout)[0] as { steps: { id: string; barrier?: string }[] }).steps;
    expect(steps.find((s) => s.id === "read-only-off")?.barrier).toBe("writes resume on the clone");
    const text = runCli(["plan", "playbook.yaml"], { cwd: p.dir });
    expect(text.stdout).toMatch(/barrier.*writes resume on the clone/);
  });
});
