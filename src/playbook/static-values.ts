/**
 * Resolve, before a run, the `${{ }}` expressions whose value is already
 * known: those that read only non-secret params. `plan` and `--dry-run` use
 * it so a step is described with its real inputs (the version being
 * released, the phase of a migration) instead of its templates. Anything
 * that reads step outputs, env, secrets, the matrix or the run id stays
 * unknown, and then the whole value does.
 */
import { hasExpression, parseTemplate, type Expr } from "./expressions.js";

/** Every reference in an expression, as its path. */
function references(e: Expr, out: (string | number)[][] = []): (string | number)[][] {
  switch (e.kind) {
    case "ref":
      out.push(e.path);
      break;
    case "not":
      references(e.arg, out);
      break;
    case "bin":
      references(e.left, out);
      references(e.right, out);
      break;
    case "call":
      for (const a of e.args) references(a, out);
      break;
  }
  return out;
}

/** Whether every expression inside `value` reads only non-secret params. */
export function isStaticallyKnown(value: unknown, secretParams: readonly string[]): boolean {
  if (typeof value === "string") {
    if (!hasExpression(value)) return true;
    try {
      return parseTemplate(value).every(
        (p) =>
          !("expr" in p) ||
          references(p.expr).every((path) => path[0] === "params" && !secretParams.includes(String(path[1]))),
      );
    } catch {
      return false;
    }
  }
  if (Array.isArray(value)) return value.every((v) => isStaticallyKnown(v, secretParams));
  if (value && typeof value === "object") return Object.values(value).every((v) => isStaticallyKnown(v, secretParams));
  return true;
}
