/**
 * Issue 14 item 10: nesting is bounded with a located message. Expressions
 * nested ~2,000 deep or 20,000 `==` in a chain once gave [INTERNAL] Maximum
 * call stack size exceeded; YAML nested 1,000 deep said only "YAML: Maximum
 * call stack size exceeded".
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { evaluate, parseExpression } from "../../src/playbook/expressions.js";
import { requireBuilt } from "../support/cli.js";
import { cli, expectRefused, playbook, project } from "./helpers.js";

const withValue = (x: string) =>
  playbook({ step: `  - id: deep\n    action: exec\n    with: { command: ["node", "-e", "1", ${x}] }` });
const expr = (inner: string) => JSON.stringify(`\${{ ${inner} }}`);
const blockNest = (levels: number) => {
  let s =
    "version: 1\nname: deep\nsteps:\n  - id: deep\n    action: exec\n    with:\n      command: [node]\n      env:\n";
  for (let i = 0; i < levels; i++) s += `${" ".repeat(8 + 2 * i)}k:\n`;
  return s + `${" ".repeat(8 + 2 * levels)}v\n`;
};

// The documented limits (docs/security.md); literals, so this file also runs against a build that lacks them.
const MAX_EXPRESSION_DEPTH = 64;
const MAX_YAML_DEPTH = 64;

let p: ReturnType<typeof project>;
beforeAll(() => {
  requireBuilt();
  p = project({
    "parens.yaml": withValue(expr(`${"(".repeat(2000)}1${")".repeat(2000)}`)),
    "chain.yaml": withValue(expr(`1${" == 1".repeat(20_000)}`)),
    "nots.yaml": withValue(expr(`${"!".repeat(5000)}true`)),
    "calls.yaml": withValue(expr(`${"lower(".repeat(500)}'x'${")".repeat(500)}`)),
    "flow.yaml": withValue(`${"[".repeat(1000)}${"]".repeat(1000)}`),
    "block.yaml": blockNest(1000),
    "fits.yaml": withValue(expr(`${"(".repeat(30)}1 == 1${")".repeat(30)}`)),
  });
});
afterAll(() => p?.cleanup());

describe("expression depth", () => {
  it.each(["parens", "chain", "nots", "calls"])("%s: refused with a located message, not a stack overflow", (name) => {
    const r = cli(p.dir, ["validate", `${name}.yaml`]);
    expectRefused(
      r,
      `the expression is nested more than ${MAX_EXPRESSION_DEPTH} levels deep`,
      new RegExp(`${name}\\.yaml:6:\\d+: steps\\[0\\]\\.with\\.command\\[3\\]`),
    );
    expect(r.stderr.length).toBeLessThan(4000); // the 100 KB expression is not echoed
  });

  it("an expression within the bound validates and evaluates", () => {
    const r = cli(p.dir, ["validate", "fits.yaml"]);
    expect(r.code, r.stderr).toBe(0);
    const e = parseExpression(`${"(".repeat(30)}1 == 1${")".repeat(30)}`);
    expect(evaluate(e, { params: {}, steps: {}, env: {}, secrets: () => undefined, run: { id: "r" } })).toBe(true);
  });
});

describe("YAML depth", () => {
  it.each([
    ["flow.yaml", "flow.yaml:6:"],
    ["block.yaml", "block.yaml:"],
  ])("%s nested 1,000 deep: refused, located", (file, at) => {
    expectRefused(cli(p.dir, ["validate", file]), `YAML is nested more than ${MAX_YAML_DEPTH} levels deep here`, at);
  });
});
