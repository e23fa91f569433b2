/**
 * GitHub Actions output (docs/ci.md): the built CLI with GITHUB_ACTIONS=true prints a ::group:: per step, an
 * ::error at the playbook line of a failed step and of each validation problem, a ::notice with the result, and
 * appends a Markdown summary to $GITHUB_STEP_SUMMARY. Step output cannot issue workflow commands, secrets stay
 * masked, and -o json is unchanged.
 */
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { runCli } from "../support/cli.js";
import { escapeGithubData, escapeGithubProperty } from "../../src/cli/render/github-actions.js";
import { FAILING, INVALID, NO_CI, PASSING, SECRET, fixture, lineOf } from "./ci-fixtures.js";

function github(dir: string) {
  const summary = path.join(dir, "step-summary.md");
  return {
    summary,
    env: {
      ...NO_CI,
      GITHUB_ACTIONS: "true",
      GITHUB_WORKSPACE: dir,
      GITHUB_STEP_SUMMARY: summary,
      CUTOVER_SECRET_TOKEN: SECRET,
    },
  };
}

/** The lines GitHub's runner reads as workflow commands (a line that starts with `::`, once trimmed). */
const commands = (stdout: string) => stdout.split("\n").filter((l) => l.trimStart().startsWith("::"));

const noSecret = (text: string) => {
  for (const form of [SECRET, escapeGithubData(SECRET), escapeGithubProperty(SECRET)]) expect(text).not.toContain(form);
};

describe("GitHub Actions output", () => {
  it("groups each step, notes the result, and appends the step summary", () => {
    const fx = fixture("ci-gh");
    const pb = fx.file("release.yaml", PASSING);
    const gh = github(fx.dir);
    fs.writeFileSync(gh.summary, "earlier step's summary\n");
    const r = runCli(["run", pb, "--approve", "approve-swap"], { stateDir: fx.stateDir, env: gh.env });
    expect(r.stderr).toContain("succeeded");
    expect(r.code).toBe(0);
    const runId = /run (r[\d-]+[0-9a-f]+) started/.exec(r.stdout)![1]!;
    // Exactly our commands: one group per step that ran, each closed, the notice last. The step's own
    // `::set-output` line is printed after a timestamp, so the runner does not read it as a command.
    expect(commands(r.stdout)).toEqual([
      "::group::build: Build the package",
      "::endgroup::",
      "::group::approve-swap: gate.approval",
      "::endgroup::",
      "::group::swap: exec",
      "::endgroup::",
      `::notice title=cutover::run ${runId} succeeded`,
    ]);
    const lines = r.stdout.split("\n");
    const inGroup = lines.slice(lines.indexOf("::group::build: Build the package"), lines.indexOf("::endgroup::"));
    expect(inGroup.join("\n")).toContain("build | building");
    expect(r.stdout).toContain("build | ::set-output name=x::y");
    noSecret(r.stdout + r.stderr);

    const md = fs.readFileSync(gh.summary, "utf8");
    expect(md.startsWith("earlier step's summary\n")).toBe(true); // appended, not replaced
    expect(md).toContain(`run \`${runId}\``);
    expect(md).toContain("| Step | Status | Duration | Attempts | Note |");
    expect(md).toMatch(/\| `build` \| ✅ succeeded \| \d+ms \| 1 \|/);
    expect(md).toMatch(/\| `optional` \| ⏭️ skipped \|/);
    expect(md).toMatch(/\| `approve-swap` \| ✅ succeeded \| .* \| approved by /);
    expect(md).toMatch(/- approve-swap approved by [^@\s]+@\S+/);
    expect(md).toContain(`**Result:** ✅ run ${runId} succeeded`);
    expect(md).toContain(`would undo**`);
    expect(md).toContain("- nothing to undo");
    noSecret(md);
  });

  it("puts an ::error at the line of the step that failed, escaped, with the secret masked", () => {
    const fx = fixture("ci-gh-fail");
    const pb = fx.file("fail.yaml", FAILING);
    const gh = github(fx.dir);
    const r = runCli(["run", pb], { stateDir: fx.stateDir, env: gh.env });
    expect(r.code).toBe(1);
    const error = commands(r.stdout).find((l) => l.startsWith("::error"));
    expect(error).toBeDefined();
    // The property values are escaped (`:` and `,`) and the message's `%` and line breaks too: one line.
    expect(error).toMatch(
      new RegExp(`^::error file=fail\\.yaml,line=${lineOf(FAILING, "id: check")},col=5,title=step check failed::`),
    );
    expect(error).toContain("bad <&> 100%25%2C ***".replace("%2C", ","));
    expect(error).toContain("%0A");
    expect(commands(r.stdout).at(-1)).toMatch(/^::notice title=cutover::run \S+ aborted/);
    noSecret(r.stdout + r.stderr);
    const md = fs.readFileSync(gh.summary, "utf8");
    expect(md).toMatch(/\| `check` \| ❌ failed \|/);
    expect(md).toContain("| Undo |");
    expect(md).toContain("bad &lt;&amp;&gt; 100%, ***");
    noSecret(md);
  });

  it("puts an ::error at file, line and column of each validation problem", () => {
    const fx = fixture("ci-gh-invalid");
    const pb = fx.file("bad.yaml", INVALID);
    const r = runCli(["validate", pb], { env: github(fx.dir).env });
    expect(r.code).toBe(2);
    const errors = commands(r.stdout);
    expect(errors).toHaveLength(2);
    expect(errors[0]).toMatch(
      new RegExp(
        `^::error file=bad\\.yaml,line=${lineOf(INVALID, "no-such-action")},col=\\d+,title=invalid playbook::`,
      ),
    );
    expect(errors[0]).toContain('unknown action "no-such-action"');
    expect(errors[1]).toMatch(new RegExp(`^::error file=bad\\.yaml,line=${lineOf(INVALID, "command: 3")},col=\\d+,`));
    // The human error is still there, on stderr.
    expect(r.stderr).toContain("[PLAYBOOK_INVALID]");
  });

  it("leaves -o json exactly as it is: JSON lines only, same event sequence as outside CI", () => {
    const fx = fixture("ci-gh-json");
    const pb = fx.file("release.yaml", PASSING);
    const gh = github(fx.dir);
    const inCi = runCli(["run", pb, "--approve", "approve-swap"], { stateDir: fx.stateDir, json: true, env: gh.env });
    const plain = runCli(["run", pb, "--approve", "approve-swap"], {
      stateDir: path.join(fx.dir, "other-state"),
      json: true,
      env: { ...NO_CI, CUTOVER_SECRET_TOKEN: SECRET },
    });
    expect(inCi.code).toBe(0);
    const types = (out: string) =>
      out
        .trim()
        .split("\n")
        .map((l) => (JSON.parse(l) as { type: string }).type);
    // Journal events in the same order; live step.log lines interleave with them as timing has it.
    const journal = (out: string) => types(out).filter((t) => t !== "step.log");
    const logs = (out: string) => types(out).filter((t) => t === "step.log").length;
    expect(journal(inCi.stdout)).toEqual(journal(plain.stdout));
    expect(logs(inCi.stdout)).toBe(logs(plain.stdout));
    expect(commands(inCi.stdout)).toEqual([]);
    // The summary file is not output: it is written in JSON mode too.
    expect(fs.readFileSync(gh.summary, "utf8")).toContain("| `swap` | ✅ succeeded |");
  });

  it("gives the steps of a parallel group one log group (groups cannot nest or interleave)", () => {
    const fx = fixture("ci-gh-par");
    const pb = fx.file(
      "par.yaml",
      `version: 1
name: ci-par
steps:
  - id: first
    action: exec
    with: { command: ["true"] }
  - id: halves
    description: "Both halves, 100% at once"
    parallel: true
    steps:
      - { id: a, action: exec, with: { command: ["sh", "-c", "echo a1; sleep 0.2; echo a2"] } }
      - { id: b, action: exec, with: { command: ["sh", "-c", "echo b1; sleep 0.2; echo b2"] } }
  - id: last
    action: exec
    with: { command: ["true"] }
`,
    );
    const r = runCli(["run", pb], { stateDir: fx.stateDir, env: { ...github(fx.dir).env } });
    expect(r.code).toBe(0);
    expect(commands(r.stdout).slice(0, -1)).toEqual([
      "::group::first: exec",
      "::endgroup::",
      "::group::halves (parallel): Both halves, 100%25 at once",
      "::endgroup::",
      "::group::last: exec",
      "::endgroup::",
    ]);
    const lines = r.stdout.split("\n");
    const inside = lines.slice(
      lines.findIndex((l) => l.startsWith("::group::halves")),
      lines.indexOf("::group::last: exec"),
    );
    for (const text of ["a | a2", "b | b2", "a: succeeded", "b: succeeded"])
      expect(
        inside.some((l) => l.includes(text)),
        text,
      ).toBe(true);
  });

  it("escapes data and properties as GitHub's toolkit does", () => {
    expect(escapeGithubData("50%\r\nnext: a, b")).toBe("50%25%0D%0Anext: a, b");
    expect(escapeGithubProperty("dir: a, b%")).toBe("dir%3A a%2C b%25");
  });
});
