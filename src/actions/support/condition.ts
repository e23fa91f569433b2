/**
 * Conditions on an observed JSON value, shared by `wait.until` (its
 * `condition:`) and `http.check` (its `expect.json[]` entries). Exactly one
 * operator per condition, so what is being waited for is never ambiguous.
 * Comparisons are strict: `equals: 0` does not match the string "0"
 * (a command's stdout is parsed as JSON first, so `0` printed is the number 0).
 */
import { z } from "zod";
import type { Json } from "../../core/json.js";
import type { PathLookup } from "./json-path.js";
import { jsonEqual, preview } from "./json.js";

function isRegex(source: string): boolean {
  try {
    new RegExp(source);
    return true;
  } catch {
    return false;
  }
}

/** The operators, as zod fields; spread into an object schema and refined with `exactlyOneOperator`. */
export const conditionOperators = {
  equals: z.json().optional().describe("The value equals this (any JSON; objects compared structurally)."),
  notEquals: z.json().optional().describe("The value exists and differs from this."),
  lessThan: z.number().optional().describe("The value is a number below this."),
  lessThanOrEqual: z.number().optional().describe("The value is a number at most this."),
  greaterThan: z.number().optional().describe("The value is a number above this."),
  greaterThanOrEqual: z.number().optional().describe("The value is a number at least this."),
  in: z.array(z.json()).min(1).optional().describe("The value equals one of these."),
  matches: z
    .string()
    .refine(isRegex, { message: "not a valid regular expression" })
    .optional()
    .describe("The value (a string, or the JSON text of anything else) matches this regular expression."),
  exists: z.boolean().optional().describe("true: the path has a value (any, even null); false: it has none."),
};

type ConditionOperator = keyof typeof conditionOperators;
const OPERATORS = Object.keys(conditionOperators) as ConditionOperator[];

export type ConditionSpec = { [K in ConditionOperator]?: z.infer<(typeof conditionOperators)[K]> };

/** Zod refinement: exactly one operator is given. */
export function exactlyOneOperator(value: ConditionSpec, ctx: z.RefinementCtx): void {
  const given = OPERATORS.filter((op) => value[op] !== undefined);
  if (given.length !== 1) {
    ctx.addIssue({
      code: "custom",
      message:
        given.length === 0
          ? `give one of ${OPERATORS.join(", ")}`
          : `give exactly one operator, not ${given.join(" and ")}`,
    });
  }
}

export const Condition = z
  .object(conditionOperators)
  .strict()
  .superRefine(exactlyOneOperator)
  .describe("What must hold, with exactly one operator, e.g. { equals: 0 } or { in: [Ready, Idle] }.");

function operatorOf(c: ConditionSpec): ConditionOperator {
  const op = OPERATORS.find((o) => c[o] !== undefined);
  if (!op) throw new RangeError("condition has no operator");
  return op;
}

/** "== 0", "in [\"Ready\"]", "matches /^v2/": for progress and failure messages. */
export function describeCondition(c: ConditionSpec): string {
  const op = operatorOf(c);
  const v = c[op] as Json;
  switch (op) {
    case "equals":
      return `== ${preview(v)}`;
    case "notEquals":
      return `!= ${preview(v)}`;
    case "lessThan":
      return `< ${v}`;
    case "lessThanOrEqual":
      return `<= ${v}`;
    case "greaterThan":
      return `> ${v}`;
    case "greaterThanOrEqual":
      return `>= ${v}`;
    case "in":
      return `in ${preview(v)}`;
    case "matches":
      return `matches /${String(v)}/`;
    case "exists":
      return v ? "exists" : "is absent";
  }
}

/** Whether the looked-up value satisfies the condition. */
export function holds(c: ConditionSpec, lookup: PathLookup): boolean {
  const op = operatorOf(c);
  if (op === "exists") return lookup.found === c.exists;
  if (!lookup.found) return false;
  const v = lookup.value;
  const num = (f: (x: number) => boolean) => typeof v === "number" && f(v);
  switch (op) {
    case "equals":
      return jsonEqual(v, c.equals as Json);
    case "notEquals":
      return !jsonEqual(v, c.notEquals as Json);
    case "lessThan":
      return num((x) => x < c.lessThan!);
    case "lessThanOrEqual":
      return num((x) => x <= c.lessThanOrEqual!);
    case "greaterThan":
      return num((x) => x > c.greaterThan!);
    case "greaterThanOrEqual":
      return num((x) => x >= c.greaterThanOrEqual!);
    case "in":
      return (c.in as Json[]).some((candidate) => jsonEqual(v, candidate));
    case "matches":
      return new RegExp(c.matches!).test(typeof v === "string" ? v : JSON.stringify(v));
  }
}
