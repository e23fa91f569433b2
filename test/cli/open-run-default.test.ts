/**
 * `resume`, `abort`, `approve`, `retry`, `skip` and `step` without a run id act on the environment's open run
 * and say which; with open runs in several environments they refuse (exit 2) and list each, unless
 * `-f <playbook>` names the environment.
 */
import { afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { jsonLines, requireBuilt, runCli, tmpProject } from "../support/cli.js";

const playbook = (env: string) => `version: 1
name: ${env}-release
environment: { name: ${env} }
steps:
  - id: deploy
    action: exec
    with: { command: ["node", "-e", "require('fs').appendFileSync('${env}.log', 'deploy;')"] }
  - id: gate
    action: gate.approval
    with: { message: "ship ${env}?" }
  - id: swap
    action: exec
    with: { command: ["node", "-e", "require('fs').appendFileSync('${env}.log', 'swap;')"] }
`;

let p: ReturnType<typeof tmpProject>;
beforeAll(() => requireBuilt());
beforeEach(() => {
  p = tmpProject({ "blue.yaml": playbook("blue"), "green.yaml": playbook("green") });
});
afterEach(() => p.cleanup());

const cli = (args: string[], json = false) => runCli(args, { cwd: p.dir, json });
const start = (file: string) => {
  const r = cli(["run", file], true);
  expect(r.code, r.stderr).toBe(3); // waits at the gate
  return jsonLines(r.stdout)[0]!.runId as string;
};

describe("commands default to the environment's open run", () => {
  it("takes the only open run and names it (stderr in text, a run.chosen line in JSON)", () => {
    const runId = start("blue.yaml");
    const approve = cli(["approve"]);
    expect(approve.code, approve.stderr).toBe(0);
    expect(approve.stderr).toContain(`run ${runId} (environment blue, paused at step gate): its open run`);
    expect(approve.stderr).toContain(`run ${runId} succeeded`);

    const again = start("blue.yaml");
    const abort = cli(["abort", "--reason", "changed my mind"], true);
    expect(abort.code, abort.stderr).toBe(0); // deploy is an exec without undo: nothing is left changed
    const lines = jsonLines(abort.stdout);
    expect(lines[0]).toMatchObject({ type: "run.chosen", runId: again, environment: "blue" });
    expect(lines.at(-1)).toMatchObject({
      type: "result",
      runId: again,
      status: "aborted",
      exitCode: 0,
      chosen: { environment: "blue", why: "the environment's open run" },
    });
  });

  it("a step id alone is a step of the open run", () => {
    const runId = start("blue.yaml");
    const approve = cli(["approve", "gate", "--no-continue"]);
    expect(approve.code, approve.stderr).toBe(3); // recorded, the run continues on resume
    expect(approve.stderr).toContain(`run ${runId} (environment blue`);
    const wrong = cli(["approve", "swap"]);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain("not a gate");
    const gate = cli(["step", "gate"]); // one word: the step, of the open run
    expect(gate.code, gate.stderr).toBe(10); // the approved gate passed; stopped there as asked
    expect(gate.stderr).toContain(`run ${runId} (environment blue`);
    const resume = cli(["resume"]);
    expect(resume.code, resume.stderr).toBe(0);
    expect(resume.stderr).toContain(`run ${runId} (environment blue, paused at step gate)`);
  });

  it("refuses to guess between open runs of several environments (exit 2, each listed); -f picks one", () => {
    const blue = start("blue.yaml");
    const green = start("green.yaml");
    for (const args of [["approve"], ["abort"], ["resume"], ["retry"], ["skip"], ["step", "swap"]]) {
      const r = cli(args);
      expect(r.code, `${args.join(" ")}: ${r.stderr}`).toBe(2);
      expect(r.stderr).toContain("2 environments have an open run");
      expect(r.stderr).toContain(`${blue} (environment blue, paused at step gate)`);
      expect(r.stderr).toContain(`${green} (environment green, paused at step gate)`);
    }
    const json = cli(["abort"], true);
    expect(json.code).toBe(2);
    expect(jsonLines(json.stdout)[0]).toMatchObject({ type: "error", code: "USAGE" });

    const picked = cli(["approve", "-f", "green.yaml"]);
    expect(picked.code, picked.stderr).toBe(0);
    expect(picked.stderr).toContain(`run ${green} (environment green`);
    // Now only blue is open: no -f needed.
    const rest = cli(["abort"]);
    expect(rest.code, rest.stderr).toBe(0);
    expect(rest.stderr).toContain(`run ${blue} (environment blue`);
  });

  it("with no open run, says so (exit 2) instead of acting on a finished one", () => {
    const none = cli(["resume"]);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain("no open run in .cutover");
    start("blue.yaml");
    expect(cli(["approve"]).code).toBe(0);
    const after = cli(["abort"]);
    expect(after.code).toBe(2);
    expect(after.stderr).toContain("no open run");
  });
});
