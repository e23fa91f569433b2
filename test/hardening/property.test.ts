/**
 * Property (issue 14, "done when"): whatever the playbook, params and
 * command line, cutover either refuses with exit 2 and says where (every
 * playbook problem with file:line:col; a usage problem with its code), or
 * runs cleanly; it never reaches an internal error, never hangs, and never
 * leaves a side effect behind a refusal (no journal, no marker file from an
 * exec step). Fixed seed and bounded case counts, so CI runs the same cases
 * every time: most in-process through the library API (planPlaybook: load,
 * validate, resolve params, check matrices, expand the plan), a few through
 * the built CLI with a process time limit.
 */
import fs from "node:fs";
import path from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { planPlaybook } from "../../src/api/inspect.js";
import { exitCodeFor, isCutoverError, PlaybookInvalidError } from "../../src/core/errors.js";
import { parseParamArgs } from "../../src/playbook/params.js";
import { mapLimit, requireBuilt } from "../support/cli.js";
import { MARKER, paramArgs, playbookText, runFlags } from "./arbitraries.js";
import { cli, project } from "./helpers.js";

const SEED = 20_261_206;
const IN_PROCESS_CASES = 300;
const CLI_CASES = 6;

let p: ReturnType<typeof project>;
beforeAll(() => {
  requireBuilt();
  p = project();
});
afterAll(() => p?.cleanup());

/** What a refusal must look like in-process: a typed error that exits 2, each playbook problem located. */
function checkRefusal(e: unknown, file: string): void {
  if (!isCutoverError(e))
    throw new Error(`not a typed error (would print [INTERNAL]): ${(e as Error)?.stack ?? String(e)}`);
  expect(exitCodeFor(e), `${e.code}: ${e.message}`).toBe(2);
  if (e instanceof PlaybookInvalidError) {
    expect(e.problems.length).toBeGreaterThan(0);
    for (const pr of e.problems) {
      expect(pr.file).toBe(file);
      expect(pr.line).toBeGreaterThanOrEqual(1);
      expect(pr.column).toBeGreaterThanOrEqual(1);
    }
  }
}

describe("generated playbooks and params", () => {
  it(`${IN_PROCESS_CASES} cases in-process: exit 2 with a location, or a plan`, () => {
    let n = 0;
    const outcomes = { planned: 0, refused: 0 };
    fc.assert(
      fc.property(playbookText, paramArgs, (text, args) => {
        const file = path.join(p.dir, `case-${n++}.yaml`);
        fs.writeFileSync(file, text);
        try {
          planPlaybook(file, { params: parseParamArgs(args), env: {} });
          outcomes.planned++;
        } catch (e) {
          checkRefusal(e, file);
          outcomes.refused++;
        }
      }),
      { seed: SEED, numRuns: IN_PROCESS_CASES },
    );
    // Both outcomes are exercised, or the generators drifted into one corner.
    expect(outcomes.planned).toBeGreaterThan(IN_PROCESS_CASES / 20);
    expect(outcomes.refused).toBeGreaterThan(IN_PROCESS_CASES / 4);
  }, 120_000);

  it(`${CLI_CASES} cases through the built CLI: exit 2 located and nothing done, or a clean run`, async () => {
    const cases = fc.sample(fc.tuple(playbookText, paramArgs, runFlags), { seed: SEED, numRuns: CLI_CASES });
    const results = await mapLimit(
      cases.map((c, i) => [i, ...c] as const),
      2,
      async ([i, text, args, flags]) => {
        const dir = path.join(p.dir, `cli-${i}`);
        fs.mkdirSync(dir);
        fs.writeFileSync(path.join(dir, "p.yaml"), text);
        const argv = [
          "-o",
          "json",
          "run",
          "p.yaml",
          "--state-dir",
          "state",
          ...args.flatMap((a) => ["-p", a]),
          ...flags,
        ];
        return { dir, argv, text, r: cli(dir, argv, { timeoutMs: 30_000 }) };
      },
    );
    for (const { dir, argv, text, r } of results) {
      const context =
        `cutover ${argv.join(" ")}\n--- p.yaml\n${text}\n` + `--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;
      expect(r.code, context).not.toBe("timeout");
      expect(r.stdout + r.stderr, context).not.toContain("INTERNAL");
      expect([0, 2, 3], context).toContain(r.code);
      if (r.code !== 2) continue;
      const last = JSON.parse(r.stdout.trim().split("\n").pop()!) as {
        type: string;
        code: string;
        problems?: { line: number; column: number }[];
      };
      expect(last.type, context).toBe("error");
      if (last.code === "PLAYBOOK_INVALID")
        for (const pr of last.problems ?? []) expect(pr.line * pr.column, context).toBeGreaterThan(0);
      else expect(["USAGE", "CONFIG_INVALID"], context).toContain(last.code);
      // Nothing happened: no journal, no lease, no marker from an exec step.
      expect(fs.existsSync(path.join(dir, "state", "runs")), context).toBe(false);
      expect(fs.existsSync(path.join(dir, MARKER)), context).toBe(false);
    }
    // The sample must exercise both outcomes, or it proves little.
    expect(results.some((x) => x.r.code === 2)).toBe(true);
  }, 120_000);
});
