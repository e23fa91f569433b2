/**
 * A stop point survives the decisions taken on the way to it: a gate approved at the prompt of
 * `run --until` (a real terminal: `script` gives the CLI a pty) and `approve --until` both continue
 * only up to the stop point. Before, an approval at the prompt ran the release to its end.
 */
import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { BIN, jsonLines, requireBuilt, runCli, tmpProject } from "../support/cli.js";

const step = (id: string) =>
  `  - id: ${id}\n    action: exec\n` +
  `    with: { command: ["node", "-e", "require('fs').appendFileSync('trail.log', '${id};')"] }\n`;
const PLAYBOOK =
  `version: 1
name: gated
environment: { name: gated-env }
steps:
` +
  step("deploy") +
  `  - id: gate\n    action: gate.approval\n    with: { message: "warm it?" }\n` +
  step("warm") +
  step("swap");

let p: ReturnType<typeof tmpProject>;
beforeAll(() => requireBuilt());
beforeEach(() => {
  p = tmpProject({ "playbook.yaml": PLAYBOOK });
});
afterEach(() => p.cleanup());

const trail = () =>
  existsSync(path.join(p.dir, "trail.log")) ? readFileSync(path.join(p.dir, "trail.log"), "utf8") : "";

/** The CLI on a pseudo-terminal (util-linux `script`), so it prompts; `answer` is typed once `question` shows. */
function onTerminal(args: string[], question: string, answer: string): Promise<{ code: number | null; out: string }> {
  const command = [process.execPath, BIN, ...args].map((a) => `'${a}'`).join(" ");
  const child = spawn("script", ["-qfec", command, "/dev/null"], {
    cwd: p.dir,
    env: { ...process.env, CI: undefined, GITHUB_ACTIONS: undefined, TF_BUILD: undefined, NO_COLOR: "1" },
    stdio: ["pipe", "pipe", "pipe"],
  });
  let out = "";
  let asked = false;
  const seen = (d: Buffer) => {
    out += d.toString();
    if (!asked && out.includes(question)) {
      asked = true;
      child.stdin.write(answer);
    }
  };
  child.stdout.on("data", seen);
  child.stderr.on("data", seen);
  return new Promise((resolve) => child.on("close", (code) => resolve({ code, out })));
}

describe("a stop point across decisions", () => {
  it("an approval at the prompt of run --until continues only up to the stop point", async () => {
    const r = await onTerminal(["run", "playbook.yaml", "--until", "warm"], "[a]pprove", "a\n");
    expect(r.code, r.out).toBe(10);
    expect(trail()).toBe("deploy;warm;");
    expect(r.out).toContain("stopped after warm as asked");
  }, 120_000);

  it("approve --until approves the gate and stops after the step named", () => {
    const run = runCli(["run", "playbook.yaml"], { cwd: p.dir, json: true });
    expect(run.code, run.stderr).toBe(3);
    const runId = jsonLines(run.stdout)[0]!.runId as string;
    const approve = runCli(["approve", runId, "--until", "warm"], { cwd: p.dir, json: true });
    expect(approve.code, approve.stderr).toBe(10);
    expect(trail()).toBe("deploy;warm;");
    expect(jsonLines(approve.stdout).at(-1)).toMatchObject({ type: "result", stoppedAfter: "warm", next: "swap" });
    const unknown = runCli(["retry", runId, "--until", "nope"], { cwd: p.dir });
    expect(unknown.code).toBe(2);
    expect(runCli(["resume", runId], { cwd: p.dir }).code).toBe(0);
    expect(trail()).toBe("deploy;warm;swap;");
  });
});
