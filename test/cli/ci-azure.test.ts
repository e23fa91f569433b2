/**
 * Azure Pipelines output (docs/ci.md): with TF_BUILD=True the built CLI prints ##[group] per step,
 * ##vso[task.logissue] at the playbook line of a failed step and of each validation problem, ##vso[task.complete]
 * with the result, and attaches the Markdown summary with task.uploadsummary. Step output cannot issue logging
 * commands (the agent finds `##vso[` anywhere in a line).
 */
import fs from "node:fs";
import { describe, expect, it } from "vitest";
import { runCli } from "../support/cli.js";
import { escapeAzureData, escapeAzureProperty } from "../../src/cli/render/azure-pipelines.js";
import { FAILING, INVALID, NO_CI, PASSING, SECRET, fixture, lineOf } from "./ci-fixtures.js";

const azure = (dir: string) => ({ ...NO_CI, TF_BUILD: "True", AGENT_TEMPDIRECTORY: dir, CUTOVER_SECRET_TOKEN: SECRET });

/** Lines the agent acts on: a `##vso[` anywhere, or a `##[` formatting command. */
const commands = (stdout: string) => stdout.split("\n").filter((l) => l.includes("##vso[") || l.startsWith("##["));

describe("Azure Pipelines output", () => {
  it("groups each step, completes the task as Succeeded and uploads the summary", () => {
    const fx = fixture("ci-az");
    const pb = fx.file("release.yaml", PASSING);
    const r = runCli(["run", pb, "--approve", "approve-swap"], { stateDir: fx.stateDir, env: azure(fx.dir) });
    expect(r.code).toBe(0);
    const runId = /run (r[\d-]+[0-9a-f]+) started/.exec(r.stdout)![1]!;
    const cmds = commands(r.stdout);
    expect(cmds.slice(0, 6)).toEqual([
      "##[group]build: Build the package",
      "##[endgroup]",
      "##[group]approve-swap: gate.approval",
      "##[endgroup]",
      "##[group]swap: exec",
      "##[endgroup]",
    ]);
    expect(cmds[6]).toBe(`##[section]run ${runId} succeeded`);
    expect(cmds[7]).toBe(`##vso[task.complete result=Succeeded;]run ${runId} succeeded`);
    const upload = /^##vso\[task\.uploadsummary\](.+)$/.exec(cmds[8]!);
    expect(upload).not.toBeNull();
    expect(fs.readFileSync(upload![1]!, "utf8")).toMatch(/\| `swap` \| ✅ succeeded \|/);
    expect(cmds).toHaveLength(9);
    // The step's own `##vso[` is broken up, so the agent sets no variable.
    expect(r.stdout).toContain("build | a # #vso[task.setvariable variable=x]y");
    expect(r.stdout + r.stderr).not.toContain(SECRET);
  });

  it("logs an issue at the failed step's line and completes the task as Failed", () => {
    const fx = fixture("ci-az-fail");
    const pb = fx.file("fail.yaml", FAILING);
    const r = runCli(["run", pb], { stateDir: fx.stateDir, env: azure(fx.dir) });
    expect(r.code).toBe(1);
    const issue = commands(r.stdout).find((l) => l.startsWith("##vso[task.logissue"));
    expect(issue).toBeDefined();
    expect(issue).toContain(
      `##vso[task.logissue type=error;sourcepath=${pb};linenumber=${lineOf(FAILING, "id: check")};columnnumber=5;` +
        `code=STEP_FAILED;]`,
    );
    // `%` and the line break of the message are escaped the Azure way.
    expect(issue).toContain("bad <&> 100%AZP25, ***%0A");
    expect(commands(r.stdout)).toContainEqual(
      expect.stringMatching(/^##vso\[task\.complete result=Failed;\]run \S+ aborted/),
    );
    expect(r.stdout + r.stderr).not.toContain(SECRET);
  });

  it("logs an issue at file, line and column of each validation problem", () => {
    const fx = fixture("ci-az-invalid");
    const pb = fx.file("bad.yaml", INVALID);
    const r = runCli(["run", pb], { stateDir: fx.stateDir, env: azure(fx.dir) });
    expect(r.code).toBe(2);
    const issues = commands(r.stdout);
    expect(issues).toHaveLength(2);
    expect(issues[0]).toMatch(
      new RegExp(
        `^##vso\\[task\\.logissue type=error;sourcepath=${pb.replaceAll(".", "\\.")};` +
          `linenumber=${lineOf(INVALID, "no-such-action")};columnnumber=\\d+;code=PLAYBOOK_INVALID;\\]steps\\[0\\]\\.action: `,
      ),
    );
    expect(issues[1]).toContain(`linenumber=${lineOf(INVALID, "command: 3")};`);
  });

  it("escapes data and properties as azure-pipelines-task-lib does", () => {
    expect(escapeAzureData("50%\r\nx;]")).toBe("50%AZP25%0D%0Ax;]");
    expect(escapeAzureProperty("a;b]c%")).toBe("a%3Bb%5Dc%AZP25");
  });
});
