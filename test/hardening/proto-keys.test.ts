/**
 * Issue 14 item 7: names that are also Object.prototype members
 * (constructor, toString, hasOwnProperty, __proto__) are the user's names,
 * never JavaScript's: as params (from defaults, -p and the environment), in
 * expressions, as environment entries and matrix keys.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { evaluate, parseExpression, type Scope } from "../../src/playbook/expressions.js";
import { parseParamArgs } from "../../src/playbook/params.js";
import { lookupSecret } from "../../src/runtime.js";
import { requireBuilt } from "../support/cli.js";
import { cli, expectRefused, playbook, project } from "./helpers.js";

const echoStep = (refs: string[]) =>
  `  - id: echo\n    action: exec\n    with: { command: ["node", "-e", "console.log('got:' + ` +
  `process.argv.slice(1).join('|'))", ${refs.map((r) => `"=\${{ ${r} }}"`).join(", ")}] }`;

beforeAll(() => requireBuilt());

describe("params named after Object.prototype members", () => {
  it("resolve to their own values: defaults, --param, or empty when unset", () => {
    const q = project({
      "p.yaml": playbook({
        params:
          "  constructor: { type: string, default: from-default }\n  toString: { type: string }\n  " +
          "hasOwnProperty: { type: string }\n  valueOf: { type: number, default: 7 }",
        step: echoStep(["params.constructor", "params.toString", "params.hasOwnProperty", "params.valueOf"]),
      }),
    });
    try {
      const r = cli(q.dir, ["run", "p.yaml", "-p", "toString=from-cli", "--state-dir", "s"]);
      expect(r.stdout + r.stderr).not.toContain("native code");
      // hasOwnProperty is unset: empty, not "function hasOwnProperty() { [native code] }".
      expect(r.stdout).toContain("got:=from-default|=from-cli|=|=7");
      expect(r.code).toBe(0);
    } finally {
      q.cleanup();
    }
  });

  it("refuses -p __proto__=x as an unknown param instead of ignoring it", () => {
    const q = project({ "p.yaml": playbook({ params: "  version: { type: string }" }) });
    try {
      expectRefused(
        cli(q.dir, ["run", "p.yaml", "-p", "__proto__=x", "--state-dir", "s"]),
        'unknown param "__proto__"',
      );
    } finally {
      q.cleanup();
    }
  });

  it("refuses a __proto__ key in the playbook, located (JavaScript objects cannot hold it)", () => {
    const q = project({ "p.yaml": playbook({ params: "  __proto__: { type: string, default: x }" }) });
    try {
      expectRefused(cli(q.dir, ["validate", "p.yaml"]), '"__proto__" cannot be used as a name', "p.yaml:4:3");
    } finally {
      q.cleanup();
    }
  });

  it("refuses toString() and constructor() as unknown functions, located", () => {
    const q = project({ "p.yaml": playbook({ step: echoStep(["toString()", "constructor(1)"]) }) });
    try {
      const r = cli(q.dir, ["validate", "p.yaml"]);
      expectRefused(r, "unknown function toString()", /p\.yaml:6:\d+/);
      expect(r.stderr).toContain("unknown function constructor()");
    } finally {
      q.cleanup();
    }
  });

  it("an environment entry named constructor is not found on Object.prototype", () => {
    const q = project({
      "p.yaml": playbook({
        step: "  - id: flag\n    action: flag.set\n    with: { name: M, value: true, target: constructor }",
      }),
    });
    try {
      expectRefused(cli(q.dir, ["validate", "p.yaml"]), 'needs an environment entry "constructor"', "p.yaml:6:");
    } finally {
      q.cleanup();
    }
  });
});

describe("in-process", () => {
  const scope = (params: Record<string, unknown>): Scope => ({
    params,
    steps: {},
    env: { PATH: "/bin" },
    secrets: () => undefined,
    run: { id: "r" },
  });
  it("references read own properties only", () => {
    const ev = (src: string, params: Record<string, unknown> = {}) => evaluate(parseExpression(src), scope(params));
    expect(ev("params.constructor")).toBeUndefined();
    expect(ev("params.toString")).toBeUndefined();
    expect(ev("env.constructor")).toBeUndefined();
    expect(ev("steps.constructor.outputs.x")).toBeUndefined();
    expect(ev("params.constructor", { constructor: "mine" })).toBe("mine");
    expect(ev("params.l[1]", { l: ["a", "b"] })).toBe("b");
    expect(ev("env.PATH")).toBe("/bin");
  });
  it("parseParamArgs keeps every name as data", () => {
    const given = parseParamArgs(["__proto__=x", "constructor=y"]);
    expect(Object.keys(given).sort()).toEqual(["__proto__", "constructor"]);
    expect(given.constructor).toBe("y");
  });
  it("a secret named constructor is not Object", () => {
    expect(lookupSecret({ PATH: "/bin" }, "constructor")).toBeUndefined();
    expect(lookupSecret({ CUTOVER_SECRET_toString: "s" }, "toString")).toBe("s");
  });
});

describe("a step named constructor", () => {
  it("with a matrix, runs and its members' outputs are read by a later step", () => {
    const q = project({
      "p.yaml": playbook({
        step: [
          "  - id: constructor",
          "    action: exec",
          `    with: { command: ["node", "-e", "console.log(JSON.stringify({ toString: 'out-' + process.argv[1] ` +
            `}))", "\${{ matrix.r }}"], parseJson: true }`,
          "    matrix: { r: [a, b] }",
          echoStep(["steps.constructor.outputs.b.toString", "steps.constructor.status"]),
        ].join("\n"),
      }),
    });
    try {
      const r = cli(q.dir, ["run", "p.yaml", "--state-dir", "s"]);
      expect(r.stdout + r.stderr).not.toContain("INTERNAL");
      expect(r.stdout).toContain("got:=out-b|=succeeded");
      expect(r.code).toBe(0);
    } finally {
      q.cleanup();
    }
  });
});
