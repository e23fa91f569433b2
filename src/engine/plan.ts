/**
 * From a validated playbook and the run's params to the execution tree: groups
 * stay groups, a matrix step becomes one member per value combination. The
 * expansion is deterministic, so a resumed run rebuilds the same member ids
 * from the journaled params.
 */
import type { Json } from "../core/json.js";
import type { PlannedStep } from "./events.js";
import type { StepSpec } from "../playbook/schema.js";
import { MAX_MATRIX_MEMBERS, matrixSize } from "../playbook/check-matrix.js";
import { CutoverError, ErrorCode } from "../core/errors.js";

export type PlanNode =
  | { kind: "step"; spec: StepSpec; members: PlannedStep[]; maxParallel: number }
  | { kind: "group"; spec: StepSpec; parallel: boolean; maxParallel: number; children: PlanNode[] };

const MATRIX_PARAM = /^\s*\$\{\{\s*params\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\}\s*$/;
export { MAX_MATRIX_MEMBERS };

export function buildPlan(steps: StepSpec[], params: Record<string, Json>): PlanNode[] {
  return steps.map((s) => buildNode(s, params));
}

/** A group's onFailure is the default of the steps inside it that set none. */
function buildNode(spec: StepSpec, params: Record<string, Json>, inheritedOnFailure?: StepSpec["onFailure"]): PlanNode {
  const s = inheritedOnFailure && !spec.onFailure ? { ...spec, onFailure: inheritedOnFailure } : spec;
  if (s.steps) {
    return {
      kind: "group",
      spec: s,
      parallel: s.parallel === true,
      maxParallel: s.maxParallel ?? Number.POSITIVE_INFINITY,
      children: s.steps.map((c) => buildNode(c, params, s.onFailure)),
    };
  }
  if (!s.matrix) return { kind: "step", spec: s, members: [{ id: s.id, stepId: s.id }], maxParallel: 1 };
  const keys = Object.keys(s.matrix);
  const values = keys.map((k) => matrixValues(s.id, k, s.matrix![k]!, params));
  // Sized before expanding: three lists of 1,000 values must not build a billion members first.
  const size = matrixSize(values.map((v) => v.length));
  if (size > MAX_MATRIX_MEMBERS) {
    throw new CutoverError(
      ErrorCode.PlaybookInvalid,
      `step ${s.id}: the matrix has ${size} members, more than ${MAX_MATRIX_MEMBERS}`,
    );
  }
  let combos: Record<string, Json>[] = [{}];
  for (let i = 0; i < keys.length; i++) {
    combos = combos.flatMap((c) => values[i]!.map((v) => ({ ...c, [keys[i]!]: v })));
  }
  const members = combos.map((m) => ({
    id: `${s.id}[${keys.map((k) => String(m[k])).join(",")}]`,
    stepId: s.id,
    matrix: m,
  }));
  const seen = new Set<string>();
  for (const m of members) {
    if (seen.has(m.id))
      throw new CutoverError(
        ErrorCode.PlaybookInvalid,
        `step ${s.id}: the matrix has the member ${m.id} twice; its values must be unique`,
      );
    seen.add(m.id);
  }
  return { kind: "step", spec: s, members, maxParallel: s.maxParallel ?? 1 };
}

function matrixValues(stepId: string, key: string, v: unknown, params: Record<string, Json>): Json[] {
  if (Array.isArray(v)) return v as Json[];
  const m = typeof v === "string" ? MATRIX_PARAM.exec(v) : null;
  const list = m ? params[m[1]!] : undefined;
  if (!Array.isArray(list) || list.length === 0) {
    throw new CutoverError(
      ErrorCode.Usage,
      `step ${stepId}: matrix.${key} needs a non-empty ` +
        `list${m ? `, but params.${m[1]} is ${JSON.stringify(list)}` : ""}`,
      {
        hint: m ? `give it with --param ${m[1]}=a,b,c` : undefined,
      },
    );
  }
  return list;
}

/** Every leaf member in playbook order. */
export function plannedSteps(nodes: PlanNode[]): PlannedStep[] {
  return nodes.flatMap((n) => (n.kind === "step" ? n.members : plannedSteps(n.children)));
}

/** Every step spec (leaf), by playbook step id. */
export function leafSpecs(nodes: PlanNode[], into = new Map<string, StepSpec>()): Map<string, StepSpec> {
  for (const n of nodes) {
    if (n.kind === "step") into.set(n.spec.id, n.spec);
    else leafSpecs(n.children, into);
  }
  return into;
}
