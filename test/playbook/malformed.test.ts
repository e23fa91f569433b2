/**
 * The malformed-playbook suite (issue 2, item 7): every file in
 * test/fixtures/malformed/ is refused by the BUILT CLI with exit 2, every
 * problem located, and nothing happens — no marker file from its `exec`
 * step, no journal, no lease, nothing in the state directory.
 *
 * Expectations live in each fixture's header, so adding a case is adding a file:
 *   # expect: 9:5 unknown field "retrys"     (line:column, then a message fragment)
 *   # expect: 8 YAML                          (line only: any column)
 * A fixture lists EVERY problem it must produce; the count is checked exactly.
 *
 * Loading the CLI costs most of a CPU second, so `run`, `run -o json`,
 * `validate`, `validate -o json` and `plan` of every fixture go through the
 * built command tree in one process (in-process-cli.mjs, each with its own cwd and state dir), and
 * the real binary is spawned for a sample, whose output must be identical.
 */
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mapLimit, requireBuilt, ROOT, runInOneProcess, startCli, type CliResult } from "../support/cli.js";
import { filesUnder, tempDir } from "../support/files.js";

const FIXTURES = path.join(ROOT, "test/fixtures/malformed");
const MARKER = "ran-marker";
const BIG_FILE = "over-one-mib.yaml";
const SPAWNED = new Set([
  "yaml-syntax-error.yaml",
  "alias-bomb.yaml",
  "several-problems.yaml",
  "flag-target-without-flags.yaml",
  BIG_FILE,
]);

interface Expectation {
  line: number;
  column?: number;
  fragment: string;
}

interface Case {
  name: string;
  expects: Expectation[];
  dir: string;
  run?: CliResult;
  /** The real binary, for the cases in SPAWNED. */
  spawned?: CliResult;
  validate?: CliResult;
  validateJson?: CliResult;
  runJson?: CliResult;
  plan?: CliResult;
}

function parseExpectations(text: string): Expectation[] {
  const out: Expectation[] = [];
  for (const m of text.matchAll(/^#\s*expect:\s*(\d+)(?::(\d+))?\s+(.+?)\s*$/gm)) {
    out.push({ line: Number(m[1]), column: m[2] ? Number(m[2]) : undefined, fragment: m[3]! });
  }
  return out;
}

/** A playbook over the 1 MiB limit whose steps are otherwise valid: refused before it is parsed. */
function bigPlaybook(): string {
  const head =
    'version: 1\nname: big\nsteps:\n  - id: marker\n    action: exec\n    with: { command: ["touch", "ran-marker"] }\n';
  return head + `# ${"x".repeat(120)}\n`.repeat(9000);
}

const fixtureNames = fs
  .readdirSync(FIXTURES)
  .filter((f) => f.endsWith(".yaml"))
  .sort();
const root = tempDir("malformed");
const cases: Case[] = [...fixtureNames, BIG_FILE].map((name) => {
  const dir = path.join(root, name.replace(/\.yaml$/, ""));
  fs.mkdirSync(dir);
  const text = name === BIG_FILE ? bigPlaybook() : fs.readFileSync(path.join(FIXTURES, name), "utf8");
  fs.writeFileSync(path.join(dir, name), text);
  const expects = name === BIG_FILE ? [{ line: 1, column: 1, fragment: "bytes" }] : parseExpectations(text);
  return { name, dir, expects };
});

const stateDir = (c: Case) => path.join(c.dir, "state");

const spawnedStateDir = (c: Case) => path.join(c.dir, "spawned-state");

beforeAll(async () => {
  requireBuilt();
  const sample = cases.filter((c) => SPAWNED.has(c.name));
  const [spawned, results] = await Promise.all([
    mapLimit(sample, 2, (c) => startCli(["run", c.name, "--state-dir", spawnedStateDir(c)], { cwd: c.dir }).done),
    runInOneProcess(
      cases.flatMap((c) => [
        { cwd: c.dir, args: ["run", c.name, "--state-dir", stateDir(c)] },
        { cwd: c.dir, args: ["validate", c.name] },
        { cwd: c.dir, args: ["-o", "json", "validate", c.name] },
        { cwd: c.dir, args: ["-o", "json", "run", c.name, "--state-dir", stateDir(c)] },
        { cwd: c.dir, args: ["plan", c.name, "--state-dir", stateDir(c)] },
      ]),
    ),
  ]);
  sample.forEach((c, i) => (c.spawned = spawned[i]));
  cases.forEach((c, i) => {
    [c.run, c.validate, c.validateJson, c.runJson, c.plan] = results.slice(5 * i, 5 * i + 5);
  });
}, 120_000);

afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

/** The located problem lines of the text output, e.g. `x.yaml:9:5: steps[0].retrys: unknown field "retrys"`. */
function problemLines(stderr: string, file: string): string[] {
  return stderr
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l.startsWith(`${file}:`));
}

function matches(line: string, file: string, e: Expectation): boolean {
  const at =
    e.column === undefined
      ? new RegExp(`^${escape(file)}:${e.line}:\\d+: `)
      : new RegExp(`^${escape(file)}:${e.line}:${e.column}: `);
  return at.test(line) && line.includes(e.fragment);
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

describe("malformed playbooks", () => {
  it("has at least 25 fixtures, each with an expectation", () => {
    expect(fixtureNames.length).toBeGreaterThanOrEqual(25);
    for (const c of cases) expect(c.expects.length, `${c.name} has no "# expect:" line`).toBeGreaterThan(0);
  });

  describe.each(cases.map((c) => [c.name, c] as const))("%s", (_name, c) => {
    it("run: exit 2, every problem located, nothing ran", () => {
      const r = c.run!;
      expect(r.code, r.stderr).toBe(2);
      const lines = problemLines(r.stderr, c.name);
      expect(r.stderr).toContain(`${c.expects.length} problem${c.expects.length === 1 ? "" : "s"} in the playbook`);
      for (const e of c.expects) {
        expect(
          lines.some((l) => matches(l, c.name, e)),
          `expected ${e.line}:${e.column ?? "*"} "${e.fragment}" in:\n${r.stderr}`,
        ).toBe(true);
      }
      expect(r.stderr, "a stack trace without --verbose").not.toMatch(/^\s+at .+:\d+:\d+\)?$/m);
      expect(r.stdout, "no run id: no run started").toBe("");
      expect(fs.existsSync(path.join(c.dir, MARKER)), "the exec step ran").toBe(false);
      expect(filesUnder(stateDir(c)), "a journal, lease or lock was written").toEqual([]);
    });

    if (SPAWNED.has(c.name))
      it("run through the real binary: the same output, exit 2, nothing ran", () => {
        const r = c.spawned!;
        expect(r.code, r.stderr).toBe(2);
        expect(r.stderr).toBe(c.run!.stderr);
        expect(r.stderr, "a stack trace without --verbose").not.toMatch(/^\s+at .+:\d+:\d+\)?$/m);
        expect(r.stdout).toBe("");
        expect(fs.existsSync(path.join(c.dir, MARKER)), "the exec step ran").toBe(false);
        expect(filesUnder(spawnedStateDir(c))).toEqual([]);
      });

    it("validate: exit 2, the same problems", () => {
      const v = c.validate!;
      expect(v.code, v.stderr).toBe(2);
      expect(problemLines(v.stderr, c.name)).toEqual(problemLines(c.run!.stderr, c.name));
      expect(v.stdout).toBe("");
    });

    it("validate -o json: one PLAYBOOK_INVALID line with the same problems", () => {
      const j = c.validateJson!;
      expect(j.code, j.stderr).toBe(2);
      const lines = j.stdout.split("\n").filter(Boolean);
      expect(lines).toHaveLength(1);
      const event = JSON.parse(lines[0]!) as {
        type: string;
        code: string;
        exitCode: number;
        problems: { file: string; line: number; column: number; path: string; message: string }[];
      };
      expect(event).toMatchObject({ type: "error", code: "PLAYBOOK_INVALID", exitCode: 2 });
      expect(event.problems).toHaveLength(c.expects.length);
      const asText = event.problems.map(
        (p) => `${p.file}:${p.line}:${p.column}: ${p.path ? p.path + ": " : ""}${p.message}`,
      );
      expect(asText).toEqual(problemLines(c.run!.stderr, c.name));
      expect(j.stderr).toBe("");
    });

    it("plan: exit 2, the same problems, nothing written", () => {
      expect(c.plan!.code, c.plan!.stderr).toBe(2);
      expect(problemLines(c.plan!.stderr, c.name)).toEqual(problemLines(c.run!.stderr, c.name));
      expect(filesUnder(stateDir(c))).toEqual([]);
    });

    it("run -o json: the same single error line, nothing ran", () => {
      expect(c.runJson!.code).toBe(2);
      expect(c.runJson!.stdout).toBe(c.validateJson!.stdout);
      expect(fs.existsSync(path.join(c.dir, MARKER))).toBe(false);
      expect(filesUnder(stateDir(c))).toEqual([]);
    });
  });
});

describe("the harness itself", () => {
  it("sees the marker and the journal when a playbook is valid", async () => {
    const dir = path.join(root, "control");
    fs.mkdirSync(dir);
    fs.writeFileSync(
      path.join(dir, "ok.yaml"),
      'version: 1\nname: control\nsteps:\n  - id: marker\n    action: exec\n    with: { command: ["touch", ' +
        '"ran-marker"] }\n',
    );
    const r = await startCli(["run", "ok.yaml", "--state-dir", path.join(dir, "state")], { cwd: dir }).done;
    expect(r.code, r.stderr).toBe(0);
    expect(fs.existsSync(path.join(dir, MARKER))).toBe(true);
    expect(filesUnder(path.join(dir, "state", "runs")).length).toBe(1);
  });

  it("reads several expectations per fixture", () => {
    expect(parseExpectations('# expect: 7:5 unknown field "x"\n# expect: 9 YAML\nversion: 1\n')).toEqual([
      { line: 7, column: 5, fragment: 'unknown field "x"' },
      { line: 9, column: undefined, fragment: "YAML" },
    ]);
  });
});
