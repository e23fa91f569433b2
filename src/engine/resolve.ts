/**
 * Resolve `${{ }}` templates in a step's inputs at the moment it runs. A
 * string that is one whole expression keeps the value's type; expressions
 * embedded in text are stringified. Secret values met on the way are
 * registered with the redactor.
 */
import { evaluate, hasExpression, parseTemplate, truthy, type Scope } from "../playbook/expressions.js";
import type { Json } from "../core/json.js";
import type { RunState } from "./reducer.js";
import type { Redactor } from "./redact.js";
import { CutoverError, ErrorCode } from "../core/errors.js";

export function resolveValue(value: unknown, scope: Scope): unknown {
  if (typeof value === "string") {
    if (!hasExpression(value)) return value;
    const parts = parseTemplate(value);
    if (parts.length === 1 && "expr" in parts[0]!) return evaluate(parts[0].expr, scope) ?? null;
    return parts.map((p) => ("expr" in p ? stringify(evaluate(p.expr, scope)) : p.text)).join("");
  }
  if (Array.isArray(value)) return value.map((v) => resolveValue(v, scope));
  if (value && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = resolveValue(v, scope);
    return out;
  }
  return value;
}

function stringify(v: unknown): string {
  if (v === undefined || v === null) return "";
  return typeof v === "object" ? JSON.stringify(v) : String(v);
}

export function resolveCondition(when: string | boolean | undefined, scope: Scope): boolean {
  if (when === undefined) return true;
  if (typeof when === "boolean") return when;
  return truthy(resolveValue(when, scope));
}

export interface ScopeInputs {
  state: RunState;
  params: Record<string, Json>;
  env: NodeJS.ProcessEnv;
  /** Looks a secret up (environment variable); the value is registered for redaction. */
  secret: (name: string) => string | undefined;
  matrix?: Record<string, Json>;
  redactor: Redactor;
}

export function buildScope(i: ScopeInputs): Scope {
  // Null-prototype maps: a step named constructor must find itself, not Object.prototype's member.
  const steps: Scope["steps"] = Object.create(null) as Scope["steps"];
  for (const st of Object.values(i.state.steps)) {
    if (!st.matrix) {
      steps[st.stepId] = { outputs: st.outputs, status: st.status };
      continue;
    }
    // A matrix step: outputs per member (`steps.deploy.outputs.eastus.url`);
    // status succeeded only when every member did.
    const member = st.id.slice(st.stepId.length + 1, -1);
    const agg = (steps[st.stepId] ??= { outputs: Object.create(null) as Record<string, unknown>, status: st.status });
    agg.outputs[member] = st.outputs;
    if (agg.status !== st.status)
      agg.status = [agg.status, st.status].includes("failed")
        ? "failed"
        : [agg.status, st.status].includes("running")
          ? "running"
          : "pending";
  }
  return {
    params: i.params,
    steps,
    env: i.env,
    secrets: (name) => {
      const v = i.secret(name);
      if (v === undefined) {
        throw new CutoverError(ErrorCode.Expression, `secret ${name} is not set`, {
          hint: `set the environment variable ${name} (or CUTOVER_SECRET_${name}) before running`,
        });
      }
      i.redactor.add(v);
      return v;
    },
    matrix: i.matrix,
    run: { id: i.state.runId },
  };
}
