/**
 * `${{ … }}` expressions, parsed and evaluated without eval. A small grammar
 * (GitHub Actions-like): literals, references (params.x, steps.id.outputs.k,
 * env.X, secrets.X, matrix.k, run.id), ! && || == != < <= > >=, parentheses,
 * and a few functions. Parsing happens at validation, so a typo fails
 * before anything runs.
 */
import { cut } from "./echo.js";

export type Expr =
  | { kind: "lit"; value: unknown }
  | { kind: "ref"; path: (string | number)[] }
  | { kind: "not"; arg: Expr }
  | { kind: "bin"; op: BinOp; left: Expr; right: Expr }
  | { kind: "call"; fn: string; args: Expr[] };

type BinOp = "&&" | "||" | "==" | "!=" | "<" | "<=" | ">" | ">=";

export class ExpressionSyntaxError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
  }
}

type Tok = { t: "num" | "str" | "id" | "op" | "end"; v: string; pos: number };

/**
 * How deep an expression's tree may be: parentheses, `!`, function calls
 * and every operator in a chain (`a == b == c …`) add a level. Parsing,
 * checking and evaluating recurse once per level, so without a bound 2,000
 * levels exhaust the stack; real expressions use fewer than ten.
 */
const MAX_EXPRESSION_DEPTH = 64;

// Sticky: matched at a position without copying the rest of the source (a long expression stays linear).
const NUMBER = /-?\d+(\.\d+)?/y;
const NAME = /[A-Za-z_][A-Za-z0-9_-]*/y;

function matchAt(re: RegExp, src: string, i: number): string {
  re.lastIndex = i;
  return re.exec(src)![0];
}

const OPS = ["&&", "||", "==", "!=", "<=", ">=", "<", ">", "!", "(", ")", ".", ",", "[", "]"];

function tokenize(src: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (/[0-9]/.test(c) || (c === "-" && /[0-9]/.test(src[i + 1] ?? ""))) {
      const m = matchAt(NUMBER, src, i);
      out.push({ t: "num", v: m, pos: i });
      i += m.length;
      continue;
    }
    if (c === "'" || c === '"') {
      let j = i + 1;
      let s = "";
      while (j < src.length && (src[j] !== c || src[j + 1] === c)) {
        // A doubled quote ('' inside '...') is an escaped quote, as in GitHub Actions; so is a backslash escape.
        if (src[j] === c || (src[j] === "\\" && j + 1 < src.length)) {
          s += src[j + 1];
          j += 2;
          continue;
        }
        s += src[j];
        j++;
      }
      if (j >= src.length) throw new ExpressionSyntaxError("unterminated string", i);
      out.push({ t: "str", v: s, pos: i });
      i = j + 1;
      continue;
    }
    if (/[A-Za-z_]/.test(c)) {
      const m = matchAt(NAME, src, i);
      out.push({ t: "id", v: m, pos: i });
      i += m.length;
      continue;
    }
    const op = OPS.find((o) => src.startsWith(o, i));
    if (!op) throw new ExpressionSyntaxError(`unexpected character '${c}'`, i);
    out.push({ t: "op", v: op, pos: i });
    i += op.length;
  }
  out.push({ t: "end", v: "", pos: src.length });
  return out;
}

const FUNCTIONS: Record<string, { arity: [number, number]; fn: (...a: unknown[]) => unknown }> = {
  contains: {
    arity: [2, 2],
    fn: (a, b) => (Array.isArray(a) ? a.includes(b) : String(a ?? "").includes(String(b ?? ""))),
  },
  startsWith: { arity: [2, 2], fn: (a, b) => String(a ?? "").startsWith(String(b ?? "")) },
  endsWith: { arity: [2, 2], fn: (a, b) => String(a ?? "").endsWith(String(b ?? "")) },
  join: {
    arity: [1, 2],
    fn: (a, sep) => (Array.isArray(a) ? a.join(sep === undefined ? "," : String(sep)) : String(a ?? "")),
  },
  toJSON: { arity: [1, 1], fn: (a) => JSON.stringify(a ?? null) },
  lower: { arity: [1, 1], fn: (a) => String(a ?? "").toLowerCase() },
  upper: { arity: [1, 1], fn: (a) => String(a ?? "").toUpperCase() },
  coalesce: { arity: [1, 8], fn: (...a) => a.find((x) => x !== undefined && x !== null && x !== "") ?? null },
};

/** A function of the expression language by name (own entries only: `toString` is not one). */
function findFunction(name: string): (typeof FUNCTIONS)[string] | undefined {
  return Object.hasOwn(FUNCTIONS, name) ? FUNCTIONS[name] : undefined;
}

export function parseExpression(src: string): Expr {
  const toks = tokenize(src);
  let k = 0;
  // Depth of each node built so far, and how deep the parser has recursed: both bounded by MAX_EXPRESSION_DEPTH.
  const depths = new Map<Expr, number>();
  const tooDeep = (pos: number) =>
    new ExpressionSyntaxError(
      `the expression is nested more than ${MAX_EXPRESSION_DEPTH} levels deep (parentheses, !, calls and chained ` +
        `operators each add one); split it`,
      pos,
    );
  const node = (e: Expr, children: Expr[], pos: number): Expr => {
    const d = 1 + Math.max(0, ...children.map((c) => depths.get(c) ?? 1));
    if (d > MAX_EXPRESSION_DEPTH) throw tooDeep(pos);
    depths.set(e, d);
    return e;
  };
  let nesting = 0;
  const nested = <T>(pos: number, f: () => T): T => {
    if (++nesting > MAX_EXPRESSION_DEPTH) throw tooDeep(pos);
    try {
      return f();
    } finally {
      nesting--;
    }
  };
  const peek = () => toks[k]!;
  const next = () => toks[k++]!;
  const expectOp = (v: string) => {
    const t = next();
    if (t.t !== "op" || t.v !== v)
      throw new ExpressionSyntaxError(`expected '${v}' but found ${t.t === "end" ? "the end" : `'${t.v}'`}`, t.pos);
  };
  const binary = (ops: BinOp[], sub: () => Expr) => (): Expr => {
    let left = sub();
    while (peek().t === "op" && (ops as string[]).includes(peek().v)) {
      const t = next();
      const right = sub();
      left = node({ kind: "bin", op: t.v as BinOp, left, right }, [left, right], t.pos);
    }
    return left;
  };
  const primary = (): Expr => {
    const t = next();
    if (t.t === "num") return { kind: "lit", value: Number(t.v) };
    if (t.t === "str") return { kind: "lit", value: t.v };
    if (t.t === "op" && t.v === "!") {
      const arg = nested(t.pos, primary);
      return node({ kind: "not", arg }, [arg], t.pos);
    }
    if (t.t === "op" && t.v === "(") {
      const e = nested(t.pos, or);
      expectOp(")");
      return e;
    }
    if (t.t === "id") {
      if (t.v === "true" || t.v === "false") return { kind: "lit", value: t.v === "true" };
      if (t.v === "null") return { kind: "lit", value: null };
      if (peek().t === "op" && peek().v === "(") {
        next();
        const fn = findFunction(t.v);
        if (!fn)
          throw new ExpressionSyntaxError(
            `unknown function ${t.v}(); known: ${Object.keys(FUNCTIONS).join(", ")}`,
            t.pos,
          );
        const args: Expr[] = [];
        if (!(peek().t === "op" && peek().v === ")")) {
          args.push(nested(t.pos, or));
          while (peek().t === "op" && peek().v === ",") {
            next();
            args.push(nested(t.pos, or));
          }
        }
        expectOp(")");
        const [lo, hi] = fn.arity;
        if (args.length < lo || args.length > hi)
          throw new ExpressionSyntaxError(
            `${t.v}() takes ${lo === hi ? lo : `${lo} to ${hi}`} argument(s), got ${args.length}`,
            t.pos,
          );
        return node({ kind: "call", fn: t.v, args }, args, t.pos);
      }
      const path: (string | number)[] = [t.v];
      while (peek().t === "op" && (peek().v === "." || peek().v === "[")) {
        const op = next();
        if (op.v === ".") {
          const id = next();
          if (id.t !== "id") throw new ExpressionSyntaxError(`expected a name after '.'`, id.pos);
          path.push(id.v);
        } else {
          const idx = next();
          if (idx.t === "num") path.push(Number(idx.v));
          else if (idx.t === "str") path.push(idx.v);
          else throw new ExpressionSyntaxError("expected a number or a quoted name inside [ ]", idx.pos);
          expectOp("]");
        }
      }
      return { kind: "ref", path };
    }
    throw new ExpressionSyntaxError(t.t === "end" ? "the expression ends too early" : `unexpected '${t.v}'`, t.pos);
  };
  const cmp = binary(["<", "<=", ">", ">="], primary);
  const eq = binary(["==", "!="], cmp);
  const and = binary(["&&"], eq);
  const or = binary(["||"], and);
  const e = or();
  if (peek().t !== "end")
    throw new ExpressionSyntaxError(`unexpected '${peek().v}' after the end of the expression`, peek().pos);
  return e;
}

/** A piece of a template string: literal text or an expression. */
export type TemplatePart = { text: string } | { expr: Expr; source: string; offset: number };

const TEMPLATE = /\$\{\{([\s\S]*?)\}\}/g;

/** Split a string holding `${{ }}` into parts. Throws ExpressionSyntaxError (offset within the string). */
export function parseTemplate(s: string): TemplatePart[] {
  const parts: TemplatePart[] = [];
  let last = 0;
  for (const m of s.matchAll(TEMPLATE)) {
    if (m.index! > last) parts.push({ text: s.slice(last, m.index) });
    const inner = m[1]!;
    const offset = m.index! + 3;
    try {
      parts.push({ expr: parseExpression(inner), source: inner.trim(), offset });
    } catch (e) {
      if (e instanceof ExpressionSyntaxError)
        throw new ExpressionSyntaxError(`in \${{${cut(inner, 80)}}}: ${e.message}`, offset + e.offset);
      throw e;
    }
    last = m.index! + m[0].length;
  }
  if (last < s.length) parts.push({ text: s.slice(last) });
  if (s.includes("${{") && !parts.some((p) => "expr" in p))
    throw new ExpressionSyntaxError("'${{' is not closed by '}}'", s.indexOf("${{"));
  return parts;
}

export function hasExpression(s: unknown): s is string {
  return typeof s === "string" && s.includes("${{");
}

/** Values visible to expressions at run time. */
export interface Scope {
  params: Record<string, unknown>;
  steps: Record<string, { outputs: Record<string, unknown>; status: string }>;
  env: Record<string, string | undefined>;
  secrets: (name: string) => string | undefined;
  matrix?: Record<string, unknown>;
  run: { id: string };
}

export function evaluate(e: Expr, scope: Scope): unknown {
  switch (e.kind) {
    case "lit":
      return e.value;
    case "not":
      return !truthy(evaluate(e.arg, scope));
    case "call":
      return findFunction(e.fn)!.fn(...e.args.map((a) => evaluate(a, scope)));
    case "bin": {
      if (e.op === "&&") {
        const l = evaluate(e.left, scope);
        return truthy(l) ? evaluate(e.right, scope) : l;
      }
      if (e.op === "||") {
        const l = evaluate(e.left, scope);
        return truthy(l) ? l : evaluate(e.right, scope);
      }
      const l = evaluate(e.left, scope);
      const r = evaluate(e.right, scope);
      switch (e.op) {
        case "==":
          return looseEquals(l, r);
        case "!=":
          return !looseEquals(l, r);
        case "<":
          return (l as number) < (r as number);
        case "<=":
          return (l as number) <= (r as number);
        case ">":
          return (l as number) > (r as number);
        case ">=":
          return (l as number) >= (r as number);
      }
      return undefined;
    }
    case "ref": {
      const [root, ...rest] = e.path;
      let v: unknown;
      if (root === "secrets") return scope.secrets(String(rest[0]));
      if (root === "env") v = scope.env;
      else if (root === "params") v = scope.params;
      else if (root === "steps") v = scope.steps;
      else if (root === "matrix") v = scope.matrix ?? {};
      else if (root === "run") v = scope.run;
      // Own properties only: `params.constructor` is a param named constructor or nothing, never Object's.
      for (const k of rest) {
        if (v === null || v === undefined || !Object.hasOwn(v as object, k)) return undefined;
        v = (v as Record<string | number, unknown>)[k];
      }
      return v;
    }
  }
}

function looseEquals(a: unknown, b: unknown): boolean {
  if (typeof a === "string" && typeof b === "string") return a === b;
  if (a === undefined) a = null;
  if (b === undefined) b = null;
  return JSON.stringify(a) === JSON.stringify(b);
}

export function truthy(v: unknown): boolean {
  return !(v === false || v === null || v === undefined || v === 0 || v === "" || Number.isNaN(v));
}
