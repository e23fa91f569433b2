/**
 * Issue 14 item 11: command-line and YAML edge cases that once exited 0,
 * printed plain text under -o json, or reached an internal error.
 */
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { requireBuilt } from "../support/cli.js";
import { cli, expectRefused, playbook, project } from "./helpers.js";

let p: ReturnType<typeof project>;
const gate = "  - id: approve-swap\n    action: gate.approval\n    with: { message: swap? }";
beforeAll(() => {
  requireBuilt();
  p = project({
    "gate.yaml": playbook({ step: gate }),
    "tags.yaml": playbook({
      step: '  - id: t\n    action: exec\n    with: { command: [node, !!js/function "function () {}", !custom y] }',
    }),
    "a-file": "not a directory\n",
  });
});
afterAll(() => p?.cleanup());

/** The only stdout line must be one JSON error object with the usage code. */
function expectJsonUsageError(r: ReturnType<typeof cli>, fragment: string): void {
  const lines = r.stdout.trim().split("\n");
  expect(lines, r.stdout).toHaveLength(1);
  const e = JSON.parse(lines[0]!) as { type: string; code: string; exitCode: number; message: string };
  expect(e).toMatchObject({ type: "error", code: "USAGE", exitCode: 2 });
  expect(e.message).toContain(fragment);
  expect(r.stderr).toBe("");
  expect(r.code).toBe(2);
}

describe("-o json usage errors are one JSON object", () => {
  it.each([
    [["-o", "json", "run"], "missing required argument 'playbook'"],
    [["-o", "json", "bogus-command"], "unknown command 'bogus-command'"],
    [["--output=json", "runs", "--bogus"], "unknown option '--bogus'"],
    [["runs", "-o", "json", "--limit", "abc"], "give a whole number from 1 to 100000"],
  ])("%j", (args, fragment) => expectJsonUsageError(cli(p.dir, args), fragment));
});

describe("option values", () => {
  it.each(["abc", "-1", "1e999", "0", "2.5"])("runs --limit %s exits 2", (limit) => {
    expectRefused(
      cli(p.dir, ["runs", "--limit", limit, "--state-dir", "state"]),
      "give a whole number from 1 to 100000",
    );
  });

  it("run --dry-run --approve of an unknown step exits 2, like run does", () => {
    for (const args of [["--dry-run"], []]) {
      expectRefused(
        cli(p.dir, ["run", "gate.yaml", ...args, "--approve", "nope", "--state-dir", "state"]),
        "the playbook has no step",
      );
    }
    expect(
      cli(p.dir, ["run", "gate.yaml", "--dry-run", "--approve", "approve-swap", "--state-dir", "state"]).code,
    ).toBe(0);
  });

  it("--state-dir naming a file is a clear usage error", () => {
    expectRefused(
      cli(p.dir, ["runs", "--state-dir", "a-file"]),
      "the state directory a-file is a file, not a directory",
    );
    expectRefused(
      cli(p.dir, ["run", "gate.yaml", "--state-dir", "a-file/sub"]),
      "the state directory a-file/sub is inside a file",
    );
  });

  it("a state directory others can write to is used with a warning", () => {
    const dir = path.join(p.dir, "open-state");
    fs.mkdirSync(dir);
    fs.chmodSync(dir, 0o777);
    const r = cli(p.dir, ["runs", "--state-dir", "open-state"]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain("warning the state directory open-state is writable by other users (mode 0777)");
  });
});

describe("YAML tags", () => {
  it("!!js/function and !custom are refused, located", () => {
    const r = cli(p.dir, ["validate", "tags.yaml"]);
    expectRefused(r, "YAML tag !!js/function is not supported", "tags.yaml:6:");
    expect(r.stderr).toContain("YAML tag !custom is not supported");
  });
});

describe("long values are cut in messages", () => {
  const big = "x".repeat(100_000);
  it.each([
    ["an unknown param", ["run", "gate.yaml", "-p", `${big}=1`, "--state-dir", "state"]],
    ["a param value", ["run", "gate.yaml", "--approve", big, "--dry-run", "--state-dir", "state"]],
  ])("%s", (_what, args) => {
    for (const json of [false, true]) {
      const r = cli(p.dir, [...(json ? ["-o", "json"] : []), ...args]);
      expect(r.code).toBe(2);
      const out = r.stdout + r.stderr;
      expect(out.length).toBeLessThan(5000);
      expect(out).toMatch(/…(\\?")? \(998\d\d more characters\)/); // in JSON the quote is escaped
    }
  });

  it("an unknown action of 100 KB, located", () => {
    const q = project({ "p.yaml": playbook({ step: `  - id: a\n    action: ${big}` }) });
    try {
      const r = cli(q.dir, ["validate", "p.yaml"]);
      expectRefused(r, /unknown action "x{200}…"? \(998\d\d more characters\)/, "p.yaml:5:13");
      expect(r.stderr.length).toBeLessThan(5000);
    } finally {
      q.cleanup();
    }
  });
});
