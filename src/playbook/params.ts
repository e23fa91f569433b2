/**
 * Run params from `--param name=value` (and CUTOVER_PARAM_<NAME>), checked
 * against the playbook's declarations: every problem reported at once.
 * Secret params come only from the environment (argv is visible in `ps`)
 * and are never journaled.
 */
import type { Json } from "../core/json.js";
import { CutoverError, ErrorCode } from "../core/errors.js";
import type { ParamSpecT } from "./schema.js";

export interface ResolvedParams {
  /** Every param value, secret ones included: for the engine, never for the journal. */
  all: Record<string, Json>;
  /** What the journal may hold. */
  journaled: Record<string, Json>;
  secretNames: string[];
}

/** User keys land in null-prototype objects: a param named constructor or toString is only ever the user's. */
const emptyRecord = <T>(): Record<string, T> => Object.create(null) as Record<string, T>;
const own = <T>(r: Record<string, T>, k: string): T | undefined => (Object.hasOwn(r, k) ? r[k] : undefined);

export function parseParamArgs(args: string[]): Record<string, string> {
  const out = emptyRecord<string>();
  for (const a of args) {
    const i = a.indexOf("=");
    if (i <= 0) throw new CutoverError(ErrorCode.Usage, `--param ${a}: write --param name=value`);
    out[a.slice(0, i)] = a.slice(i + 1);
  }
  return out;
}

export function resolveParams(
  specs: Record<string, ParamSpecT>,
  given: Record<string, string>,
  env: NodeJS.ProcessEnv,
): ResolvedParams {
  const problems: string[] = [];
  const all = emptyRecord<Json>();
  const journaled = emptyRecord<Json>();
  const secretNames: string[] = [];
  for (const name of Object.keys(given)) {
    if (!own(specs, name))
      problems.push(`unknown param "${name}"; the playbook declares: ${Object.keys(specs).join(", ") || "none"}`);
    else if (specs[name]!.secret)
      problems.push(
        `param "${name}" is secret: give it through the environment variable ` +
          `CUTOVER_PARAM_${name.toUpperCase()}, not on the command line`,
      );
  }
  for (const [name, spec] of Object.entries(specs)) {
    const fromEnv = env[`CUTOVER_PARAM_${name.toUpperCase()}`];
    const raw: unknown = spec.secret ? fromEnv : (own(given, name) ?? fromEnv ?? spec.default);
    if (raw === undefined) {
      if (spec.required)
        problems.push(
          `param "${name}" is required${spec.description ? ` (${spec.description})` : ""}: give --param ${name}=...`,
        );
      continue;
    }
    const v = coerce(name, spec, raw, problems);
    if (v === undefined) continue;
    all[name] = v;
    if (spec.secret) secretNames.push(name);
    else journaled[name] = v;
  }
  if (problems.length) throw new CutoverError(ErrorCode.Usage, problems.join("\n"), { details: { problems } });
  return { all, journaled, secretNames };
}

function coerce(name: string, spec: ParamSpecT, raw: unknown, problems: string[]): Json | undefined {
  // A secret param's value is never echoed in a message: only what was wrong with it.
  const got = (value: unknown) =>
    spec.secret ? "got something else (not shown: the param is secret)" : `got "${String(value)}"`;
  let v: Json | undefined;
  switch (spec.type) {
    case "string":
      v = String(raw);
      break;
    case "number": {
      const n = typeof raw === "number" ? raw : Number(raw);
      if (typeof raw === "string" && raw.trim() === "") v = undefined;
      else v = Number.isFinite(n) ? n : undefined;
      if (v === undefined) problems.push(`param "${name}" must be a number, ${got(raw)}`);
      break;
    }
    case "boolean":
      if (raw === true || raw === "true" || raw === "yes" || raw === "1") v = true;
      else if (raw === false || raw === "false" || raw === "no" || raw === "0") v = false;
      else problems.push(`param "${name}" must be true or false, ${got(raw)}`);
      break;
    case "list":
      v = Array.isArray(raw)
        ? raw.map(String)
        : String(raw)
            .split(",")
            .map((s) => s.trim())
            .filter(Boolean);
      break;
  }
  if (v !== undefined && spec.allowed) {
    // A list param's allowed values apply to each of its items.
    const bad = (Array.isArray(v) ? v : [v]).filter((x) => !spec.allowed!.some((a) => String(a) === String(x)));
    if (bad.length) {
      problems.push(`param "${name}" must be one of ${spec.allowed.join(", ")}, ${got(bad.map(String).join(","))}`);
      return undefined;
    }
  }
  return v;
}

/** What is wrong with `raw` as a value of the param (nothing when it fits); validation checks defaults with it. */
export function paramValueProblems(name: string, spec: ParamSpecT, raw: unknown): string[] {
  const problems: string[] = [];
  coerce(name, spec, raw, problems);
  return problems;
}
