import { describe, expect, it } from "vitest";
import { parseJsonPath, readJsonPath } from "../../src/actions/support/json-path.js";
import { Condition, describeCondition, holds } from "../../src/actions/support/condition.js";
import { TailCapture } from "../../src/actions/support/output-capture.js";
import { jsonEqual, redactJson } from "../../src/actions/support/json.js";
import { commandEnv, displayArgv } from "../../src/actions/support/command-env.js";

describe("JSON path subset", () => {
  const doc = {
    status: "Healthy",
    checks: [
      { name: "db", ok: true },
      { name: "queue", ok: false },
    ],
    "content-type": "json",
    "a.b": 1,
    nothing: null,
  };

  it("reads properties, indexes (negative from the end) and quoted keys", () => {
    expect(readJsonPath(doc, "$")).toEqual({ found: true, value: doc });
    expect(readJsonPath(doc, "$.status")).toEqual({ found: true, value: "Healthy" });
    expect(readJsonPath(doc, "$.checks[1].ok")).toEqual({ found: true, value: false });
    expect(readJsonPath(doc, "$.checks[-1].name")).toEqual({ found: true, value: "queue" });
    expect(readJsonPath(doc, "$.content-type")).toEqual({ found: true, value: "json" });
    expect(readJsonPath(doc, '$["a.b"]')).toEqual({ found: true, value: 1 });
    expect(readJsonPath(doc, "$['checks'][0]['name']")).toEqual({ found: true, value: "db" });
    expect(readJsonPath(doc, "$.nothing")).toEqual({ found: true, value: null });
  });

  it("reports missing keys, out-of-range indexes and indexing a scalar as not found", () => {
    expect(readJsonPath(doc, "$.missing").found).toBe(false);
    expect(readJsonPath(doc, "$.checks[5]").found).toBe(false);
    expect(readJsonPath(doc, "$.status.length").found).toBe(false);
    expect(readJsonPath(doc, "$.checks.name").found).toBe(false);
    expect(readJsonPath(doc, "$.toString").found).toBe(false);
    expect(readJsonPath(undefined, "$").found).toBe(false);
  });

  it("refuses anything outside the subset, saying where", () => {
    expect(() => parseJsonPath("status")).toThrow(/must start with "\$"/);
    expect(() => parseJsonPath("$.")).toThrow(/position 3/);
    expect(() => parseJsonPath("$.a[*]")).toThrow(/array index or a quoted key/);
    expect(() => parseJsonPath('$["a"')).toThrow(/"\]"/);
    expect(() => parseJsonPath("$..a")).toThrow();
    expect(() => parseJsonPath("$.a[?(@.x)]")).toThrow();
  });
});

describe("conditions", () => {
  const at = (value: unknown) => ({ found: true as const, value: value as never });
  const absent = { found: false as const };

  it("evaluates each operator strictly", () => {
    expect(holds({ equals: 0 }, at(0))).toBe(true);
    expect(holds({ equals: 0 }, at("0"))).toBe(false);
    expect(holds({ equals: { a: [1] } }, at({ a: [1] }))).toBe(true);
    expect(holds({ notEquals: "Draining" }, at("Ready"))).toBe(true);
    expect(holds({ notEquals: "Draining" }, absent)).toBe(false);
    expect(holds({ lessThan: 5 }, at(4))).toBe(true);
    expect(holds({ lessThan: 5 }, at("4"))).toBe(false);
    expect(holds({ greaterThanOrEqual: 5 }, at(5))).toBe(true);
    expect(holds({ in: ["Ready", "Idle"] }, at("Idle"))).toBe(true);
    expect(holds({ matches: "^v2\\." }, at("v2.1"))).toBe(true);
    expect(holds({ matches: '"ok":true' }, at({ ok: true }))).toBe(true);
    expect(holds({ exists: true }, at(null))).toBe(true);
    expect(holds({ exists: false }, absent)).toBe(true);
    expect(holds({ equals: null }, at(null))).toBe(true);
  });

  it("describes itself for messages", () => {
    expect(describeCondition({ equals: "Ready" })).toBe('== "Ready"');
    expect(describeCondition({ lessThanOrEqual: 3 })).toBe("<= 3");
    expect(describeCondition({ exists: false })).toBe("is absent");
  });

  it("requires exactly one operator", () => {
    expect(Condition.safeParse({ equals: 1 }).success).toBe(true);
    const none = Condition.safeParse({});
    expect(none.success).toBe(false);
    expect(none.error?.issues[0]?.message).toMatch(/^give one of equals/);
    expect(Condition.safeParse({ equals: 1, in: [1] }).error?.issues[0]?.message).toBe(
      "give exactly one operator, not equals and in",
    );
    expect(Condition.safeParse({ eq: 1 }).success).toBe(false);
  });
});

describe("output capture", () => {
  it("passes complete lines, a final unterminated one and CRLF lines", () => {
    const lines: string[] = [];
    const c = new TailCapture(1024, (l) => lines.push(l));
    c.push("one\r\ntw");
    c.push("o\nthree");
    c.flush();
    expect(lines).toEqual(["one", "two", "three"]);
    expect(c.value).toBe("one\r\ntwo\nthree");
    expect(c.truncated).toBe(false);
  });

  it("keeps a bounded tail starting at a line boundary", () => {
    const c = new TailCapture(100);
    for (let i = 0; i < 1000; i++) c.push(`line ${i}\n`);
    expect(c.truncated).toBe(true);
    expect(c.value.length).toBeLessThanOrEqual(100);
    expect(c.value.startsWith("line ")).toBe(true);
    expect(c.value.endsWith("line 999\n")).toBe(true);
    expect(c.lastLines(2)).toEqual(["line 998", "line 999"]);
  });

  it("splits an endless line into bounded pieces for the logger", () => {
    const lines: string[] = [];
    const c = new TailCapture(1024, (l) => lines.push(l));
    c.push("x".repeat(20_000));
    expect(lines.length).toBe(2);
    expect(lines.every((l) => l.length === 8 * 1024)).toBe(true);
  });
});

describe("json helpers and command environment", () => {
  it("compares JSON structurally and redacts nested strings", () => {
    expect(jsonEqual({ a: 1, b: [true, null] }, { b: [true, null], a: 1 })).toBe(true);
    expect(jsonEqual([1, 2], [2, 1])).toBe(false);
    expect(jsonEqual({ a: 1 }, { a: 1, b: 2 })).toBe(false);
    expect(redactJson({ k: ["pw=hunter2", 3], hunter2: "x" }, (t) => t.replaceAll("hunter2", "***"))).toEqual({
      k: ["pw=***", 3],
      "***": "x",
    });
  });

  it("builds the child's environment and shows argv redacted", () => {
    const clean = commandEnv({ A: 1, B: true }, false);
    expect(Object.keys(clean).sort()).toEqual(["A", "B", ...(process.env.PATH ? ["PATH"] : [])].sort());
    expect(clean.B).toBe("true");
    expect(displayArgv(["deploy", "--token", "abc", "two words"], (t) => t.replace("abc", "***"))).toBe(
      'deploy --token *** "two words"',
    );
  });
});
