/** `${{ }}` expressions: parsing (with error offsets), templates, evaluation. */
import { describe, expect, it } from "vitest";
import {
  evaluate,
  ExpressionSyntaxError,
  parseExpression,
  parseTemplate,
  truthy,
  type Scope,
} from "../../src/playbook/expressions.js";

const scope = (over: Partial<Scope> = {}): Scope => ({
  params: { version: "v2", replicas: 3, dryRun: false, regions: ["eastus", "westus"], empty: "" },
  steps: {
    deploy: { outputs: { url: "http://127.0.0.1:8081", slot: "green", count: 2 }, status: "succeeded" },
    "deploy-green": { outputs: { ok: true }, status: "succeeded" },
  },
  env: { HOME: "/home/me" },
  secrets: (name) => (name === "TOKEN" ? "s3cret" : undefined),
  matrix: { region: "eastus" },
  run: { id: "r1" },
  ...over,
});

const ev = (src: string, s: Scope = scope()) => evaluate(parseExpression(src), s);

/** The offset of the syntax error `src` raises. */
function errorAt(src: string): { offset: number; message: string } {
  try {
    parseExpression(src);
  } catch (e) {
    expect(e).toBeInstanceOf(ExpressionSyntaxError);
    return { offset: (e as ExpressionSyntaxError).offset, message: (e as Error).message };
  }
  throw new Error(`"${src}" parsed`);
}

describe("literals", () => {
  it.each([
    ["1", 1],
    ["-2.5", -2.5],
    ["0", 0],
    ["'text'", "text"],
    ['"double"', "double"],
    ["'it''s'", "it's"],
    ["'a\\'b'", "a'b"],
    ["''", ""],
    ["true", true],
    ["false", false],
    ["null", null],
  ])("%s", (src, value) => expect(ev(src)).toEqual(value));
});

describe("references", () => {
  it.each([
    ["params.version", "v2"],
    ["params.regions[1]", "westus"],
    ["params['version']", "v2"],
    ["steps.deploy.outputs.url", "http://127.0.0.1:8081"],
    ["steps.deploy.status", "succeeded"],
    ["steps.deploy-green.outputs.ok", true],
    ["env.HOME", "/home/me"],
    ["secrets.TOKEN", "s3cret"],
    ["matrix.region", "eastus"],
    ["run.id", "r1"],
  ])("%s", (src, value) => expect(ev(src)).toEqual(value));

  it("gives undefined for what is not there, without throwing", () => {
    expect(ev("params.nope")).toBeUndefined();
    expect(ev("steps.nope.outputs.x")).toBeUndefined();
    expect(ev("env.NOPE")).toBeUndefined();
    expect(ev("secrets.NOPE")).toBeUndefined();
    expect(ev("matrix.region", scope({ matrix: undefined }))).toBeUndefined();
  });

  it("parses a reference into its path", () => {
    expect(parseExpression("steps.deploy.outputs['a b'][0]")).toEqual({
      kind: "ref",
      path: ["steps", "deploy", "outputs", "a b", 0],
    });
  });
});

describe("operators", () => {
  it.each([
    ["params.version == 'v2'", true],
    ["params.version != 'v2'", false],
    ["params.replicas > 2", true],
    ["params.replicas >= 3", true],
    ["params.replicas < 3", false],
    ["params.replicas <= 3", true],
    ["!params.dryRun", true],
    ["!!params.version", true],
    ["params.empty || 'fallback'", "fallback"],
    ["params.version && params.replicas", 3],
    ["params.dryRun && params.nope.deep", false],
    // == compares values, not identities; a number is never equal to its text.
    ["params.regions == params.regions", true],
    ["3 == '3'", false],
    ["params.nope == null", true],
  ])("%s → %j", (src, value) => expect(ev(src)).toEqual(value));

  it("binds && tighter than ||, comparisons tighter than both, ! tightest", () => {
    expect(ev("true || false && false")).toBe(true);
    expect(ev("(true || false) && false")).toBe(false);
    expect(ev("1 < 2 == true")).toBe(true);
    expect(ev("!params.dryRun == true")).toBe(true);
    expect(parseExpression("a || b && c == d")).toMatchObject({
      kind: "bin",
      op: "||",
      right: { kind: "bin", op: "&&", right: { kind: "bin", op: "==" } },
    });
  });

  it("evaluates && and || lazily", () => {
    let asked = 0;
    const s = scope({ secrets: () => (asked++, "x") });
    expect(evaluate(parseExpression("false && secrets.TOKEN"), s)).toBe(false);
    expect(evaluate(parseExpression("true || secrets.TOKEN"), s)).toBe(true);
    expect(asked).toBe(0);
  });
});

describe("functions", () => {
  it.each([
    ["contains(params.regions, 'westus')", true],
    ["contains(params.regions, 'north')", false],
    ["contains(params.version, '2')", true],
    ["startsWith(steps.deploy.outputs.url, 'http://')", true],
    ["endsWith(params.version, '3')", false],
    ["join(params.regions)", "eastus,westus"],
    ["join(params.regions, ' ')", "eastus westus"],
    ["toJSON(params.regions)", '["eastus","westus"]'],
    ["toJSON(params.nope)", "null"],
    ["lower('ABC')", "abc"],
    ["upper(params.version)", "V2"],
    ["coalesce(params.nope, params.empty, 'x', 'y')", "x"],
    ["coalesce(params.nope)", null],
  ])("%s → %j", (src, value) => expect(ev(src)).toEqual(value));

  it("checks arity and names when parsing", () => {
    expect(errorAt("lower()").message).toMatch(/lower\(\) takes 1 argument/);
    expect(errorAt("join(a, b, c)").message).toMatch(/join\(\) takes 1 to 2 argument/);
    expect(errorAt("  trim(a)")).toMatchObject({
      offset: 2,
      message: expect.stringMatching(/unknown function trim\(\); known: contains/),
    });
  });
});

describe("syntax errors, with offsets", () => {
  it.each([
    ["params.version == == 'v2'", 18, "unexpected '=='"],
    ["'open", 0, "unterminated string"],
    ["a @ b", 2, "unexpected character '@'"],
    ["(a == b", 7, "expected ')' but found the end"],
    ["a ==", 4, "ends too early"],
    ["a b", 2, "unexpected 'b' after the end"],
    ["steps.", 6, "expected a name after '.'"],
    ["a[b]", 2, "expected a number or a quoted name inside [ ]"],
    ["", 0, "ends too early"],
  ])("%j at %i", (src, offset, message) => {
    const e = errorAt(src);
    expect(e.offset).toBe(offset);
    expect(e.message).toContain(message);
  });
});

describe("templates", () => {
  it("splits text and expressions, with the offset of each expression's source", () => {
    const parts = parseTemplate("v=${{ params.version }}, n=${{params.replicas}}");
    expect(parts).toHaveLength(4);
    expect(parts[0]).toEqual({ text: "v=" });
    expect(parts[1]).toMatchObject({ source: "params.version", offset: 5 });
    expect(parts[2]).toEqual({ text: ", n=" });
    expect(parts[3]).toMatchObject({ source: "params.replicas", offset: 30 });
  });

  it("reports a syntax error at its offset in the whole string", () => {
    try {
      parseTemplate("x ${{ a == == b }}");
      throw new Error("parsed");
    } catch (e) {
      expect(e).toBeInstanceOf(ExpressionSyntaxError);
      expect((e as ExpressionSyntaxError).offset).toBe(11);
      expect((e as Error).message).toBe("in ${{ a == == b }}: unexpected '=='");
    }
  });

  it("refuses an unclosed ${{", () => {
    expect(() => parseTemplate("a ${{ params.x")).toThrow(/'\$\{\{' is not closed by '\}\}'/);
    try {
      parseTemplate("a ${{ params.x");
    } catch (e) {
      expect((e as ExpressionSyntaxError).offset).toBe(2);
    }
  });

  it("leaves plain text alone", () => {
    expect(parseTemplate("no expressions { here }")).toEqual([{ text: "no expressions { here }" }]);
  });
});

describe("truthy", () => {
  it.each([
    [false, false],
    [null, false],
    [undefined, false],
    [0, false],
    ["", false],
    [Number.NaN, false],
    [true, true],
    ["false", true],
    [[], true],
    [1, true],
  ])("%j → %j", (v, t) => expect(truthy(v)).toBe(t));
});
