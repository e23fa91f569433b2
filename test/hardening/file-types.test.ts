/**
 * Issue 14 item 9: a playbook (or a journal) that is not a regular file is
 * refused at once, clearly: a FIFO once blocked every command forever,
 * /dev/zero was read without limit, a directory gave [INTERNAL] EISDIR.
 * Each command runs under a time bound: a hang fails the test as "timeout".
 */
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { requireBuilt } from "../support/cli.js";
import { cli, expectRefused, playbook, project } from "./helpers.js";

let p: ReturnType<typeof project>;
beforeAll(() => {
  requireBuilt();
  p = project({ "ok.yaml": playbook() });
  execFileSync("mkfifo", [p.file("fifo.yaml")]);
  fs.mkdirSync(p.file("dir.yaml"));
  fs.symlinkSync("/dev/zero", p.file("zero.yaml"));
});
afterAll(() => p?.cleanup());

describe("the playbook must be a regular file", () => {
  it.each([
    ["fifo.yaml", "a FIFO (named pipe)"],
    ["/dev/zero", "a character device"],
    ["zero.yaml", "a character device"],
    ["dir.yaml", "a directory"],
  ])("%s is refused: %s", (file, kind) => {
    for (const cmd of [["validate"], ["plan"], ["run", "--state-dir", "state"]]) {
      const r = cli(p.dir, [...cmd, file], { timeoutMs: 15_000 });
      expectRefused(r, `the playbook is ${kind}; give a regular file`, `${file}:1:1`);
    }
    expect(fs.existsSync(path.join(p.dir, "state", "runs"))).toBe(false);
  });

  it("a missing file is a usage error naming it", () => {
    expectRefused(cli(p.dir, ["validate", "missing.yaml"]), "cannot read playbook missing.yaml: ENOENT");
  });
});

describe("a journal must be a regular file", () => {
  it("a FIFO in a journal's place is named, not waited on; `runs` lists it as damaged", () => {
    const ran = cli(p.dir, ["run", "ok.yaml", "--state-dir", "state", "-o", "json"]);
    expect(ran.code).toBe(0);
    const runId = (JSON.parse(ran.stdout.split("\n").find((l) => l.includes('"run.started"'))!) as { runId: string })
      .runId;
    const journal = path.join(p.dir, "state", "runs", `${runId}.jsonl`);
    fs.rmSync(journal);
    execFileSync("mkfifo", [journal]);
    const status = cli(p.dir, ["status", runId, "--state-dir", "state"], { timeoutMs: 15_000 });
    expect(status.code).not.toBe("timeout");
    expect(status.stderr).toContain(`the journal ${journal} is not a regular file`);
    expect(status.stderr).not.toContain("INTERNAL");
    const runs = cli(p.dir, ["runs", "--state-dir", "state"], { timeoutMs: 15_000 });
    expect(runs.code).toBe(0);
    expect(runs.stdout).toContain(runId);
  });
});
