/**
 * Every secret a run can meet, registered with the redactor when a command
 * starts, not when a step first resolves it. A run continued by another
 * process (`approve`, `resume`, `retry`, `skip`, `abort`) or read by one
 * (`status`, `status --watch`) would otherwise print in clear a secret that
 * only an earlier step resolved, e.g. a token a deploy script wrote to a file
 * that a later step prints (docs/security.md).
 */
import type { Json } from "../core/json.js";
import { Redactor } from "../engine/redact.js";
import { hasExpression, parseTemplate, type Expr } from "../playbook/expressions.js";
import type { LoadedPlaybook } from "../playbook/validate.js";
import { lookupSecret } from "../core/secret-lookup.js";

/** Environment variables that hold secrets by their name alone. */
const SECRET_VARIABLE = /^CUTOVER_SECRET_/;

/** Provider config fields that name the variable holding a secret (`urlEnv`, `connectionStringSecret`). */
const NAMES_A_SECRET = /(Env|Secret)$/;

/**
 * Register with `redactor`: every `CUTOVER_SECRET_*` variable; every secret
 * the playbook names (`${{ secrets.X }}` anywhere, provider fields such as
 * `urlEnv`); and the secret params, from `values` (as coerced: numbers and
 * lists too) and as given in `CUTOVER_PARAM_<NAME>`.
 */
export function registerRunSecrets(
  redactor: Redactor,
  loaded: LoadedPlaybook | undefined,
  env: NodeJS.ProcessEnv,
  values: Record<string, Json> = {},
): Redactor {
  return registerSecretNames(redactor, loaded && secretNamesOf(loaded), env, values);
}

/** The secrets a playbook names, as data (kept in the run's cache for `status`: api/status-facts.ts). */
export interface SecretNames {
  /** Read with lookupSecret: `${{ secrets.X }}` anywhere, provider fields such as `urlEnv`. */
  secretNames: string[];
  /** Params declared `secret: true`. */
  secretParams: string[];
}

export function secretNamesOf(loaded: LoadedPlaybook): SecretNames {
  return {
    secretNames: [...referencedSecrets(loaded)],
    secretParams: Object.entries(loaded.playbook.params ?? {})
      .filter(([, spec]) => spec.secret)
      .map(([name]) => name),
  };
}

/** registerRunSecrets from the names alone (undefined: a playbook that could not be read). */
export function registerSecretNames(
  redactor: Redactor,
  names: SecretNames | undefined,
  env: NodeJS.ProcessEnv,
  values: Record<string, Json> = {},
): Redactor {
  for (const [k, v] of Object.entries(env)) if (SECRET_VARIABLE.test(k)) redactor.add(v);
  if (!names) return redactor;
  for (const name of names.secretNames) redactor.add(lookupSecret(env, name));
  for (const name of names.secretParams) {
    redactor.add(env[`CUTOVER_PARAM_${name.toUpperCase()}`]);
    if (Object.hasOwn(values, name)) redactor.add(values[name]);
  }
  return redactor;
}

/** A new redactor with the run's secrets registered (for the read-only commands). */
export function runRedactor(loaded: LoadedPlaybook | undefined, env: NodeJS.ProcessEnv): Redactor {
  return registerRunSecrets(new Redactor(), loaded, env);
}

/** Names of the secrets the playbook reads: `secrets.X` in any expression, and provider fields naming one. */
export function referencedSecrets(loaded: LoadedPlaybook): Set<string> {
  const names = new Set<string>();
  const visit = (value: unknown, providerField?: string): void => {
    if (typeof value === "string") {
      if (providerField !== undefined && NAMES_A_SECRET.test(providerField)) names.add(value);
      if (hasExpression(value)) for (const part of safeParse(value)) if ("expr" in part) collect(part.expr, names);
    } else if (Array.isArray(value)) {
      for (const v of value) visit(v);
    } else if (value && typeof value === "object") {
      for (const v of Object.values(value)) visit(v);
    }
  };
  visit(loaded.playbook.steps);
  visit(loaded.playbook.summary);
  visit(loaded.playbook.notify); // webhook URLs (api/notify.ts)
  for (const entry of Object.values(loaded.playbook.environment ?? {})) {
    if (entry && typeof entry === "object") for (const [k, v] of Object.entries(entry)) visit(v, k);
  }
  return names;
}

function safeParse(text: string): ReturnType<typeof parseTemplate> {
  try {
    return parseTemplate(text);
  } catch {
    return []; // validation reported it already
  }
}

function collect(e: Expr, names: Set<string>): void {
  switch (e.kind) {
    case "ref":
      if (e.path[0] === "secrets" && e.path[1] !== undefined) names.add(String(e.path[1]));
      return;
    case "not":
      return collect(e.arg, names);
    case "bin":
      collect(e.left, names);
      return collect(e.right, names);
    case "call":
      for (const a of e.args) collect(a, names);
      return;
    default:
      return;
  }
}
