/**
 * zod issues → located Problems that say what was expected: unknown fields
 * with a "did you mean", missing fields called missing, bad record keys at
 * the key, unions explained rather than "Invalid input".
 */
import type { z } from "zod";
import type { Problem } from "../core/errors.js";
import { quote } from "./echo.js";
import { knownKeys } from "./known-keys.js";
import type { Path, PlaybookSource } from "./source.js";

export interface ZodProblemOptions {
  /** Leave out issues at these paths (values written as expressions are checked when resolved). */
  skip?: (p: Path) => boolean;
  /** The schema the issues come from: its field names feed "did you mean". */
  schema?: z.ZodType;
  /** The whole parsed document: tells a missing field from a wrong one. */
  root?: unknown;
  /** Where these issues sit inside `schema` (for the branches of a union). */
  relBase?: Path;
}

export function zodProblems(
  source: PlaybookSource,
  base: Path,
  issues: z.core.$ZodIssue[],
  opts: ZodProblemOptions = {},
): Problem[] {
  const out: Problem[] = [];
  for (const issue of issues) {
    const rel = [...(opts.relBase ?? []), ...(issue.path as (string | number)[])];
    const p = [...base, ...(issue.path as (string | number)[])];
    if (opts.skip?.(p)) continue;
    if (issue.code === "unrecognized_keys") {
      const known = opts.schema ? knownKeys(opts.schema, rel) : [];
      for (const k of issue.keys)
        out.push(source.problem([...p, k], `unknown field ${quote(k)}${suggest(k, known)}`, { key: true }));
    } else if (issue.code === "invalid_key") {
      // A bad record key (a param name): point at the key and say
      // what a key must be, not zod's "Invalid key in record".
      const why = issue.issues[0]?.message ?? issue.message;
      out.push(source.problem(p, `${why}: ${quote(String(p[p.length - 1]))}`, { key: true }));
    } else if (
      (issue.code === "invalid_type" || issue.code === "invalid_value" || issue.code === "invalid_union") &&
      opts.root !== undefined &&
      isMissing(opts.root, p)
    ) {
      // A union's message names only its first branch: say what is missing, not a misleading type.
      const expected =
        issue.code === "invalid_union"
          ? ""
          : ` (${yamlWords(issue.message.replace(/^Invalid (input|option): /, "").replace(/, received undefined$/, ""))})`;
      out.push(source.problem(p, `missing required field "${String(p[p.length - 1])}"${expected}`));
    } else if (issue.code === "invalid_union" && Array.isArray(issue.errors) && issue.errors.length > 0) {
      out.push(...unionProblems(source, p, rel, issue.errors as z.core.$ZodIssue[][], opts));
    } else {
      out.push(
        source.problem(
          p,
          issue.code === "invalid_type" ? yamlWords(issue.message.replace(/^Invalid input: /, "")) : issue.message,
        ),
      );
    }
  }
  return out;
}

/**
 * Rather than zod's bare "Invalid input" for a union: when no branch matched
 * even the type, say every type that would do ("expected false or object,
 * received boolean"); otherwise report the problems of the branch that got
 * furthest into the value, where they are.
 */
function unionProblems(
  source: PlaybookSource,
  p: Path,
  rel: Path,
  branches: z.core.$ZodIssue[][],
  opts: ZodProblemOptions,
): Problem[] {
  const typeOnly = (i: z.core.$ZodIssue) =>
    (i.code === "invalid_type" || i.code === "invalid_value") && i.path.length === 0;
  if (branches.every((b) => b.length > 0 && b.every(typeOnly))) {
    const expected = [
      ...new Set(
        branches
          .flat()
          .map((i) =>
            i.code === "invalid_value"
              ? i.values.map((v) => JSON.stringify(v)).join(" or ")
              : i.code === "invalid_type"
                ? i.expected
                : "",
          ),
      ),
    ];
    const received = /received (\w+)$/.exec(branches.flat().find((i) => i.code === "invalid_type")?.message ?? "");
    return [
      source.problem(p, yamlWords(`expected ${expected.join(" or ")}${received ? `, received ${received[1]}` : ""}`)),
    ];
  }
  // Further = deeper paths; at equal depth a branch whose type matched (a failed check) beats a type mismatch.
  const score = (b: z.core.$ZodIssue[]) =>
    2 * Math.max(0, ...b.map((i) => i.path.length + (i.code === "unrecognized_keys" ? 1 : 0))) +
    (b.every(typeOnly) ? 0 : 1);
  const best = branches.reduce((a, b) => (score(b) > score(a) ? b : a));
  return zodProblems(source, p, best, { ...opts, relBase: rel });
}

/** Whether the field at `p` is absent (not merely null or of the wrong type), e.g. a step with no `with:` at all. */
function isMissing(root: unknown, p: Path): boolean {
  if (typeof p[p.length - 1] !== "string") return false;
  let v = root;
  for (const k of p) {
    if (v === undefined) return true; // an absent parent: the field is absent too
    if (typeof v !== "object" || v === null) return false; // a scalar where a mapping belongs: a type error
    if (!Object.hasOwn(v, k)) return true;
    v = (v as Record<string | number, unknown>)[k];
  }
  return false;
}

/** "did you mean …" for a near miss (edit distance ≤ 2). */
export function suggest(word: string, candidates: string[]): string {
  let best: string | undefined;
  let bestD = 3;
  for (const c of candidates) {
    const d = editDistance(word.toLowerCase(), c.toLowerCase());
    if (d < bestD) {
      bestD = d;
      best = c;
    }
  }
  return best ? `; did you mean "${best}"?` : "";
}

function editDistance(a: string, b: string): number {
  const dp = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = dp[0]!;
    dp[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = dp[j]!;
      dp[j] = Math.min(dp[j]! + 1, dp[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return dp[b.length]!;
}

/** zod's type names in the words of YAML: a record or object is a mapping, an array a list. */
function yamlWords(message: string): string {
  return message.replace(/\b(record|object)\b/g, "mapping").replace(/\barray\b/g, "list");
}
