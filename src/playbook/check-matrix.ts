/**
 * Matrix limits, checked when a playbook is validated (and again, with the
 * run's params, before a run starts): the number of members and their ids.
 * The size is the product of the lists' lengths, computed before anything
 * is expanded, so three lists of 1,000 values cost three multiplications,
 * not a billion objects.
 */
import { PlaybookInvalidError, type Problem } from "../core/errors.js";
import { cut } from "./echo.js";
import type { Path, PlaybookSource } from "./source.js";

/** A matrix larger than this is almost surely a mistake (and would flood the journal). */
export const MAX_MATRIX_MEMBERS = 1000;

/** Members of a matrix of lists of these lengths: their product, computed without building any member. */
export function matrixSize(lengths: number[]): number {
  return lengths.reduce((n, len) => n * len, 1);
}

/** The member ids the engine gives (deploy[eastus,app-1]); call only for a matrix within the limit. */
function memberIds(stepId: string, lists: unknown[][]): string[] {
  let combos: string[][] = [[]];
  for (const values of lists) combos = combos.flatMap((c) => values.map((v) => [...c, String(v)]));
  return combos.map((c) => `${stepId}[${c.join(",")}]`);
}

/**
 * Problems of one step's matrix whose lists are `lists` (by key; a key whose
 * list is not known yet, a param before the run, is left out). Located at the
 * matrix; `origin` says where lists from params came from.
 */
export function matrixProblems(
  source: PlaybookSource,
  at: Path,
  stepId: string,
  lists: [string, unknown[]][],
  complete: boolean,
  origin = "",
): Problem[] {
  const size = matrixSize(lists.map(([, v]) => v.length));
  if (size > MAX_MATRIX_MEMBERS) {
    const product = lists.map(([k, v]) => `${k}: ${v.length}`).join(" × ");
    return [
      source.problem(
        at,
        `the matrix has ${size > 1e15 ? "more than 10^15" : size} members (${product})${origin}, more than the ` +
          `${MAX_MATRIX_MEMBERS} allowed`,
      ),
    ];
  }
  if (!complete) return [];
  const seen = new Set<string>();
  for (const id of memberIds(
    stepId,
    lists.map(([, v]) => v),
  )) {
    if (seen.has(id)) {
      return [
        source.problem(
          at,
          `two members of the matrix get the same id ${cut(id)}${origin}: values joined with "," must differ per ` +
            `member (avoid "," in values)`,
        ),
      ];
    }
    seen.add(id);
  }
  return [];
}

const MATRIX_PARAM = /^\s*\$\{\{\s*params\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\}\s*$/;

/** The param a matrix key reads (`${{ params.regions }}`), if any. */
function matrixParam(value: unknown): string | undefined {
  return typeof value === "string" ? MATRIX_PARAM.exec(value)?.[1] : undefined;
}

interface MatrixStep {
  id: string;
  matrix?: Record<string, unknown>;
  steps?: MatrixStep[];
}

/**
 * Every matrix of the playbook with the run's param values in place, before
 * the run expands them: refused with the matrix's location (exit 2), where the
 * engine would otherwise build every member first.
 */
function matrixProblemsWithParams(
  source: PlaybookSource,
  steps: MatrixStep[],
  params: Record<string, unknown>,
): Problem[] {
  const out: Problem[] = [];
  const walk = (list: MatrixStep[], base: Path) =>
    list.forEach((s, i) => {
      const at = [...base, i];
      if (s.steps) walk(s.steps, [...at, "steps"]);
      if (!s.matrix) return;
      const fromParams = Object.values(s.matrix)
        .map(matrixParam)
        .filter((p): p is string => p !== undefined);
      if (fromParams.length === 0) return; // literal lists were checked by validate
      const lists: [string, unknown[]][] = [];
      for (const [k, v] of Object.entries(s.matrix)) {
        const name = matrixParam(v);
        const value = name !== undefined && Object.hasOwn(params, name) ? params[name] : v;
        if (!Array.isArray(value)) return; // an empty or missing list is the engine's to explain
        lists.push([k, value]);
      }
      out.push(
        ...matrixProblems(
          source,
          [...at, "matrix"],
          s.id,
          lists,
          true,
          ` with params.${fromParams.join(", params.")} as given`,
        ),
      );
    });
  walk(steps, ["steps"]);
  return out;
}

/** Throws PLAYBOOK_INVALID (exit 2) with every located matrix problem once the run's params are known. */
export function assertMatricesFit(source: PlaybookSource, steps: MatrixStep[], params: Record<string, unknown>): void {
  const problems = matrixProblemsWithParams(source, steps, params);
  if (problems.length) throw new PlaybookInvalidError(problems);
}
