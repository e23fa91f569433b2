/**
 * Static checks of `${{ }}` expressions: syntax, references (unknown or later
 * steps, unknown params, matrix keys outside a matrix) and simple type errors
 * (ordering a string, comparing values that can never be equal), and
 * secrets used in ways redaction cannot follow: transformed by a function
 * (`upper()` of a token is printed unmasked), compared (the result reveals
 * it), or spread over a matrix (its values would become journaled step ids).
 */
import type { Problem } from "../core/errors.js";
import { ExpressionSyntaxError, hasExpression, parseTemplate, type Expr } from "./expressions.js";
import { getAt, type Path, type PlaybookSource } from "./source.js";
import { MAX_MATRIX_MEMBERS, matrixSize } from "./check-matrix.js";

export interface StepVisibility {
  id: string;
  path: Path;
  /** Steps guaranteed to have finished before this one starts. */
  visible: Set<string>;
  matrixKeys: string[];
}

type Ty = "string" | "number" | "boolean" | "list" | "null" | "any";

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

export function checkExpressions(
  source: PlaybookSource,
  doc: Record<string, unknown>,
  steps: StepVisibility[],
  allIds: Set<string>,
): Problem[] {
  const problems: Problem[] = [];
  const params = isObj(doc.params) ? doc.params : {};
  const paramType = (name: string): Ty | undefined => {
    const spec = Object.hasOwn(params, name) ? params[name] : undefined;
    if (!isObj(spec)) return undefined;
    return (typeof spec.type === "string" ? spec.type : "string") as Ty;
  };
  const secretParam = (name: string): boolean => {
    const spec = params[name];
    return isObj(spec) && spec.secret === true;
  };

  // Groups have no outputs of their own, and matrix members'
  // outputs are not in scope (see engine/resolve.ts buildScope).
  const groups = new Set(
    steps
      .filter((s) => isObj(getAt(doc, s.path)) && Array.isArray((getAt(doc, s.path) as Record<string, unknown>).steps))
      .map((s) => s.id),
  );
  // A matrix step's outputs are per member: steps.<id>.outputs.<member>.<name>.
  // Members are known here when the matrix lists them.
  const matrices = new Map(
    steps.filter((s) => s.matrixKeys.length > 0).map((s) => [s.id, memberKeys(getAt(doc, [...s.path, "matrix"]))]),
  );

  for (const step of steps) {
    const raw = getAt(doc, step.path);
    if (!isObj(raw)) continue;
    const visit = (value: unknown, at: Path, where: Where) => {
      if (typeof value === "string") {
        if (!hasExpression(value)) return;
        let parts;
        try {
          parts = parseTemplate(value);
        } catch (e) {
          if (e instanceof ExpressionSyntaxError)
            problems.push(source.problem(at, e.message, { offsetInValue: e.offset }));
          else throw e;
          return;
        }
        for (const part of parts) {
          if (!("expr" in part)) continue;
          // Point at the `${{` that opens the expression (part.offset is just past it).
          const err = (msg: string) =>
            problems.push(source.problem(at, `\${{ ${part.source} }}: ${msg}`, { offsetInValue: part.offset - 3 }));
          const ty = typeOf(part.expr, { step, allIds, groups, matrices, paramType, secretParam, err, where });
          if (where === "matrix" && ty !== "list" && ty !== "any")
            err("a matrix takes a list; use a param of type list");
          const secret = secretSource(part.expr, secretParam);
          if (where === "matrix" && secret) {
            err(
              `a matrix over a secret (${secret}) would put its values into step ids, which are journaled and shown; ` +
                "use a param that is not secret",
            );
          }
        }
      } else if (Array.isArray(value)) value.forEach((v, i) => visit(v, [...at, i], where));
      else if (isObj(value)) for (const [k, v] of Object.entries(value)) visit(v, [...at, k], where);
    };
    if (step.path.length === 0) {
      // The playbook's own `summary:`, read after the last step: every step is visible.
      visit(raw.summary, ["summary"], "with");
      continue;
    }
    visit(raw.with, [...step.path, "with"], "with");
    visit(raw.when, [...step.path, "when"], "when");
    if (isObj(raw.undo)) visit(raw.undo.with, [...step.path, "undo", "with"], "undo");
    if (isObj(raw.matrix))
      for (const [k, v] of Object.entries(raw.matrix))
        if (typeof v === "string") visit(v, [...step.path, "matrix", k], "matrix");
  }
  return problems;
}

/** Where an expression is: an undo runs after its step succeeded, so it may read the step's own outputs. */
type Where = "with" | "when" | "matrix" | "undo";

interface Ctx {
  step: StepVisibility;
  allIds: Set<string>;
  groups: Set<string>;
  matrices: Map<string, string[] | undefined>;
  paramType(name: string): Ty | undefined;
  secretParam(name: string): boolean;
  err(msg: string): void;
  where: Where;
}

function typeOf(e: Expr, c: Ctx): Ty {
  switch (e.kind) {
    case "lit":
      return e.value === null ? "null" : (typeof e.value as Ty);
    case "not":
      typeOf(e.arg, c);
      refuseSecret(e.arg, c, "negating");
      return "boolean";
    case "call":
      e.args.forEach((a) => typeOf(a, c));
      // coalesce() hands a secret back unchanged (still masked); any other function makes a new text from it.
      if (e.fn !== "coalesce") e.args.forEach((a) => refuseSecret(a, c, `${e.fn}() of`));
      return e.fn === "contains" || e.fn === "startsWith" || e.fn === "endsWith"
        ? "boolean"
        : e.fn === "coalesce"
          ? "any"
          : "string";
    case "bin": {
      const l = typeOf(e.left, c);
      const r = typeOf(e.right, c);
      if (e.op === "&&" || e.op === "||") return l === r ? l : "any";
      for (const side of [e.left, e.right]) refuseSecret(side, c, `'${e.op}' with`);
      if (e.op === "==" || e.op === "!=") {
        const prim = (t: Ty) => t !== "any" && t !== "null";
        if (prim(l) && prim(r) && l !== r) c.err(`compares a ${l} with a ${r}: this is never equal`);
        return "boolean";
      }
      for (const t of [l, r])
        if (t !== "any" && t !== "number") c.err(`'${e.op}' orders numbers, but one side is a ${t}`);
      return "boolean";
    }
    case "ref":
      return refType(e.path, c);
  }
}

function refType(p: (string | number)[], c: Ctx): Ty {
  const [root, a, b, k] = p;
  switch (root) {
    case "params": {
      if (a === undefined) {
        c.err("name a param: params.<name>");
        return "any";
      }
      const t = c.paramType(String(a));
      if (!t) c.err(`unknown param "${a}"; declare it under params:`);
      if (p.length > 2 && t !== "list") c.err(`params.${a} is a ${t ?? "value"}, it has no fields`);
      return p.length > 2 ? "string" : (t ?? "any");
    }
    case "steps": {
      if (a === undefined) {
        c.err("name a step: steps.<id>.outputs.<name>");
        return "any";
      }
      const id = String(a);
      if (id === c.step.id) {
        if (c.where !== "undo") c.err("a step cannot use its own outputs (its undo can)");
        else if (c.matrices.has(id))
          c.err(`"${id}" has a matrix: its members' outputs are not visible, not even to its undo`);
      } else if (!c.allIds.has(id)) c.err(`unknown step "${id}"`);
      else if (!c.step.visible.has(id))
        c.err(`step "${id}" has not finished when "${c.step.id}" runs (it comes later or runs in parallel)`);
      else if (c.groups.has(id))
        c.err(`"${id}" is a group: it has no outputs or status of its own; name one of its steps`);
      else if (c.matrices.has(id) && b === "outputs") {
        const members = c.matrices.get(id);
        const member = k === undefined ? undefined : String(k);
        if (member === undefined || p.length < 5)
          c.err(
            `"${id}" has a matrix: write ` +
              `steps.${id}.outputs.<member>.<name>${members ? ` (members: ${members.join(", ")})` : ""}`,
          );
        else if (members && !members.includes(member))
          c.err(`"${id}" has no member "${member}"; its members: ${members.join(", ")}`);
        return "any";
      }
      if (b !== "outputs" && b !== "status") c.err(`write steps.${id}.outputs.<name> or steps.${id}.status`);
      if (b === "outputs" && k === undefined) c.err(`name an output: steps.${id}.outputs.<name>`);
      return b === "status" ? "string" : "any";
    }
    case "env":
    case "secrets":
      if (a === undefined || p.length > 2) c.err(`write ${root}.<NAME>`);
      if (root === "secrets" && c.where === "when")
        c.err("secrets cannot decide whether a step runs; they may only be passed to actions");
      return "string";
    case "matrix":
      if (a === undefined) {
        c.err("name a matrix key: matrix.<key>");
        return "any";
      }
      if (!c.step.matrixKeys.includes(String(a))) {
        c.err(
          c.step.matrixKeys.length
            ? `unknown matrix key "${a}"; this step's keys: ${c.step.matrixKeys.join(", ")}`
            : "matrix values exist only in a step with a matrix",
        );
      }
      return "any";
    case "run":
      if (a !== "id" || p.length > 2) c.err("the run exposes only run.id");
      return "string";
    default:
      c.err(`unknown name "${root}"; expressions see params, steps, env, secrets, matrix and run`);
      return "any";
  }
}

/**
 * Member keys of a matrix written as lists (`eastus`, or `eastus,app-1`
 * for several keys); undefined when a list comes from a param.
 */
function memberKeys(matrix: unknown): string[] | undefined {
  if (!isObj(matrix)) return undefined;
  const lists = Object.values(matrix);
  if (!lists.every(Array.isArray)) return undefined;
  // An oversized matrix is reported by check-matrix.ts; expanding it here would exhaust memory.
  if (matrixSize(lists.map((l) => l.length)) > MAX_MATRIX_MEMBERS) return undefined;
  let combos: string[][] = [[]];
  for (const values of lists) combos = combos.flatMap((c) => values.map((v) => [...c, String(v)]));
  return combos.map((c) => c.join(","));
}

/**
 * Where an expression's value is a secret: `secrets.X`, a secret param,
 * `env.CUTOVER_SECRET_*` / `env.CUTOVER_PARAM_*`, or `a || b` / `a && b` /
 * coalesce() that may yield one. Undefined when it is not.
 */
function secretSource(e: Expr, secretParam: (name: string) => boolean): string | undefined {
  switch (e.kind) {
    case "ref": {
      const [root, a] = e.path;
      const name = String(a ?? "");
      if (root === "secrets") return `secrets.${name}`;
      if (root === "params" && secretParam(name)) return `the secret param ${name}`;
      if (root === "env" && /^CUTOVER_(SECRET|PARAM)_/i.test(name)) return `env.${name}`;
      return undefined;
    }
    case "bin":
      if (e.op !== "&&" && e.op !== "||") return undefined;
      return secretSource(e.left, secretParam) ?? secretSource(e.right, secretParam);
    case "call":
      if (e.fn !== "coalesce") return undefined;
      return e.args.map((a) => secretSource(a, secretParam)).find((s) => s !== undefined);
    default:
      return undefined;
  }
}

function refuseSecret(e: Expr, c: Ctx, what: string): void {
  const secret = secretSource(e, c.secretParam);
  // A secrets.X in `when` is refused as such already (refType): one problem per mistake.
  if (!secret || (c.where === "when" && secret.startsWith("secrets."))) return;
  c.err(`${what} a secret (${secret}) would reveal it past redaction; pass the secret to the action as it is`);
}
