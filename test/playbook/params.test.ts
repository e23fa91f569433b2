/** --param resolution: types, required, allowed, secrets from the environment only, every problem at once. */
import { describe, expect, it } from "vitest";
import { isCutoverError } from "../../src/core/errors.js";
import { paramValueProblems, parseParamArgs, resolveParams } from "../../src/playbook/params.js";
import { ParamSpec, type ParamSpecT } from "../../src/playbook/schema.js";

const spec = (s: Record<string, unknown>): ParamSpecT => ParamSpec.parse(s);
const specs = (m: Record<string, Record<string, unknown>>) =>
  Object.fromEntries(Object.entries(m).map(([k, v]) => [k, spec(v)]));

/** The problems a failing resolution reports. */
function problemsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (e) {
    expect(isCutoverError(e, "USAGE")).toBe(true);
    return (e as { details: { problems: string[] } }).details.problems;
  }
  throw new Error("resolved without a problem");
}

describe("parseParamArgs", () => {
  it("splits at the first =", () => {
    expect(parseParamArgs(["version=v2", "url=http://x/?a=b", "empty="])).toEqual({
      version: "v2",
      url: "http://x/?a=b",
      empty: "",
    });
  });
  it.each(["novalue", "=v"])("refuses %j", (a) =>
    expect(() => parseParamArgs([a])).toThrow(/write --param name=value/),
  );
});

describe("resolveParams", () => {
  it("coerces each type", () => {
    const r = resolveParams(
      specs({
        s: {},
        n: { type: "number" },
        f: { type: "number" },
        b: { type: "boolean" },
        y: { type: "boolean" },
        l: { type: "list" },
      }),
      { s: "42", n: "3", f: "-1.5", b: "false", y: "yes", l: "a, b,,c" },
      {},
    );
    expect(r.all).toEqual({ s: "42", n: 3, f: -1.5, b: false, y: true, l: ["a", "b", "c"] });
    expect(r.journaled).toEqual(r.all);
    expect(r.secretNames).toEqual([]);
  });

  it("uses the default, then the environment, with the command line winning", () => {
    const s = specs({ version: { default: "v1" }, region: { default: "eastus" }, tier: { default: "basic" } });
    const r = resolveParams(s, { version: "v3" }, { CUTOVER_PARAM_VERSION: "v2", CUTOVER_PARAM_REGION: "westus" });
    expect(r.all).toEqual({ version: "v3", region: "westus", tier: "basic" });
  });

  it("leaves out an optional param with no value", () => {
    expect(resolveParams(specs({ note: {} }), {}, {}).all).toEqual({});
  });

  it("keeps list defaults as lists", () => {
    expect(resolveParams(specs({ regions: { type: "list", default: ["a", "b"] } }), {}, {}).all).toEqual({
      regions: ["a", "b"],
    });
  });

  it("reports every problem at once", () => {
    const s = specs({
      version: { required: true, description: "what to release" },
      replicas: { type: "number" },
      canary: { type: "boolean" },
      tier: { allowed: ["basic", "premium"] },
      token: { secret: true },
    });
    const problems = problemsOf(() =>
      resolveParams(s, { replicas: "many", canary: "maybe", tier: "gold", token: "x", extra: "1" }, {}),
    );
    expect(problems).toEqual([
      'param "token" is secret: give it through the environment variable CUTOVER_PARAM_TOKEN, not on the command line',
      'unknown param "extra"; the playbook declares: version, replicas, canary, tier, token',
      'param "version" is required (what to release): give --param version=...',
      'param "replicas" must be a number, got "many"',
      'param "canary" must be true or false, got "maybe"',
      'param "tier" must be one of basic, premium, got "gold"',
    ]);
  });

  it("joins the problems in the error message", () => {
    expect(() => resolveParams(specs({ a: { required: true }, b: { required: true } }), {}, {})).toThrow(
      /"a" is required[\s\S]*\n.*"b" is required/,
    );
  });

  it("refuses an empty number", () => {
    expect(problemsOf(() => resolveParams(specs({ n: { type: "number" } }), { n: " " }, {}))).toEqual([
      'param "n" must be a number, got " "',
    ]);
  });

  it("checks allowed values of a number by their text", () => {
    expect(resolveParams(specs({ n: { type: "number", allowed: [1, 3] } }), { n: "3" }, {}).all).toEqual({ n: 3 });
  });

  it("checks allowed values of a list item by item", () => {
    const s = specs({ regions: { type: "list", allowed: ["eastus", "westus", "north"] } });
    expect(resolveParams(s, { regions: "eastus,westus" }, {}).all).toEqual({ regions: ["eastus", "westus"] });
    expect(problemsOf(() => resolveParams(s, { regions: "eastus,mars,moon" }, {}))).toEqual([
      'param "regions" must be one of eastus, westus, north, got "mars,moon"',
    ]);
  });

  describe("secrets", () => {
    const s = specs({ token: { secret: true, required: true }, version: { default: "v2" } });

    it("come from the environment only and are never journaled", () => {
      const r = resolveParams(s, {}, { CUTOVER_PARAM_TOKEN: "s3cret" });
      expect(r.all).toEqual({ token: "s3cret", version: "v2" });
      expect(r.journaled).toEqual({ version: "v2" });
      expect(r.secretNames).toEqual(["token"]);
    });

    it("are refused on the command line, even with the environment set", () => {
      const problems = problemsOf(() => resolveParams(s, { token: "on-argv" }, { CUTOVER_PARAM_TOKEN: "s3cret" }));
      expect(problems).toEqual([
        'param "token" is secret: give it through the environment variable CUTOVER_PARAM_TOKEN, not on the ' +
          "command line",
      ]);
    });

    it("are required like any param, and the message never names a value", () => {
      const problems = problemsOf(() => resolveParams(s, {}, {}));
      expect(problems).toEqual(['param "token" is required: give --param token=...']);
    });
  });
});

describe("paramValueProblems (validation of defaults)", () => {
  it("accepts a value that fits and explains one that does not", () => {
    expect(paramValueProblems("n", spec({ type: "number" }), 3)).toEqual([]);
    expect(paramValueProblems("n", spec({ type: "number" }), "three")).toEqual([
      'param "n" must be a number, got "three"',
    ]);
    expect(paramValueProblems("t", spec({ allowed: ["a"] }), "b")).toEqual(['param "t" must be one of a, got "b"']);
    expect(paramValueProblems("l", spec({ type: "list", allowed: ["a", "b"] }), ["a", "c"])).toEqual([
      'param "l" must be one of a, b, got "c"',
    ]);
  });
});
