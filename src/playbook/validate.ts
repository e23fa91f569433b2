/**
 * Validation before anything acts (docs/design.md invariant 1): schema, then
 * references — actions and their `with`, providers and their config, step
 * ids, expressions — collecting every problem with its position.
 */
import { playbookHash } from "./input-file.js";
import path from "node:path";
import type { ActionDefinition } from "../core/action.js";
import type { ProviderDefinition } from "../core/provider.js";
import { PlaybookInvalidError, type Problem } from "../core/errors.js";
import { checkExpressions, type StepVisibility } from "./check-expressions.js";
import { IMPLICIT_ENVIRONMENT, ParamSpec, PlaybookSchema, type Playbook } from "./schema.js";
import { paramValueProblems } from "./params.js";
import { getAt, parsePlaybookText, readPlaybookFile, type Path, type PlaybookSource } from "./source.js";
import { hasExpression } from "./expressions.js";
import { suggest, zodProblems } from "./zod-problems.js";
import { matrixProblems } from "./check-matrix.js";
import { quote } from "./echo.js";
import { RunState } from "../core/capabilities.js";
import { offers } from "../core/provider.js";

export interface Registries {
  findAction(kind: string): ActionDefinition<unknown> | undefined;
  findProvider(kind: string): ProviderDefinition<unknown, unknown> | undefined;
  actionKinds(): string[];
  providerKinds(): string[];
}

export interface LoadedPlaybook {
  file: string;
  baseDir: string;
  /** SHA-256 of the file's bytes: pinned to every run. */
  hash: string;
  playbook: Playbook;
  source: PlaybookSource;
  /** The environment name (lease key). */
  environment: string;
}

export function loadPlaybook(file: string, reg: Registries): LoadedPlaybook {
  return validatePlaybookText(file, readPlaybookFile(file), reg);
}

export function validatePlaybookText(file: string, text: string, reg: Registries): LoadedPlaybook {
  const { source, value } = parsePlaybookText(file, text);
  const problems: Problem[] = [];
  const parsed = PlaybookSchema.safeParse(value);
  if (!parsed.success)
    problems.push(...zodProblems(source, [], parsed.error.issues, { schema: PlaybookSchema, root: value }));
  problems.push(...checkReferences(source, value as Record<string, unknown>, reg));
  if (problems.length) throw new PlaybookInvalidError(dedupe(problems));
  const playbook = parsed.data!;
  return {
    file,
    baseDir: path.dirname(path.resolve(file)),
    hash: playbookHash(text),
    playbook,
    source,
    environment: playbook.environment.name ?? playbook.name,
  };
}

function dedupe(problems: Problem[]): Problem[] {
  const seen = new Set<string>();
  return problems
    .filter((p) => {
      const k = `${p.line}:${p.column}:${p.message}`;
      if (seen.has(k)) return false;
      seen.add(k);
      return true;
    })
    .sort((a, b) => a.line - b.line || a.column - b.column);
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** Walk the raw document defensively: structural errors were reported by the schema already. */
function checkReferences(source: PlaybookSource, doc: Record<string, unknown>, reg: Registries): Problem[] {
  const problems: Problem[] = [];
  const env = isObj(doc.environment) ? doc.environment : {};
  const envEntries: Record<string, { provider: string }> = { ...IMPLICIT_ENVIRONMENT };
  for (const [name, entry] of Object.entries(env)) {
    if (name === "name" || !isObj(entry) || typeof entry.provider !== "string") continue;
    const def = reg.findProvider(entry.provider);
    if (!def) {
      problems.push(
        source.problem(
          ["environment", name, "provider"],
          `unknown provider ${quote(entry.provider)}${suggest(entry.provider, reg.providerKinds())}; known: ` +
            `${reg.providerKinds().join(", ")}`,
        ),
      );
      continue;
    }
    envEntries[name] = { provider: entry.provider };
    if (name === "state" && !offers(def, RunState)) {
      // The session opens the journal and lease here before any step: check it now, not at run time.
      const fit = providersOffering(reg, RunState);
      problems.push(
        source.problem(
          ["environment", name, "provider"],
          `environment.state holds the journal and lease, but provider ${entry.provider} does not provide state; ` +
            `use one of: ${fit.join(", ")}`,
        ),
      );
    }
    const { provider: _p, ...config } = entry;
    const r = def.config.safeParse(config);
    if (!r.success) {
      problems.push(
        ...zodProblems(source, ["environment", name], r.error.issues, {
          skip: (p) => hasExpression(getAt(doc, p)),
          schema: def.config,
          root: doc,
        }),
      );
    }
  }

  problems.push(...checkParamDefaults(source, doc));

  const steps = Array.isArray(doc.steps) ? doc.steps : [];
  const ids = new Map<string, Path>();
  const collect = (list: unknown[], base: Path) =>
    list.forEach((s, i) => {
      if (!isObj(s)) return;
      const p = [...base, i];
      if (typeof s.id === "string") {
        if (ids.has(s.id))
          problems.push(
            source.problem(
              [...p, "id"],
              `duplicate step id "${s.id}" (first used at line ${source.locate([...ids.get(s.id)!, "id"]).line})`,
            ),
          );
        else ids.set(s.id, p);
      }
      if (Array.isArray(s.steps)) collect(s.steps, [...p, "steps"]);
    });
  collect(steps, ["steps"]);

  const visibility: StepVisibility[] = [];
  const walk = (list: unknown[], base: Path, visibleBefore: Set<string>, parallel: boolean) => {
    const visible = new Set(visibleBefore);
    list.forEach((s, i) => {
      if (!isObj(s)) return;
      const p = [...base, i];
      const own = new Set(visible);
      if (typeof s.id === "string")
        visibility.push({ id: s.id, path: p, visible: own, matrixKeys: isObj(s.matrix) ? Object.keys(s.matrix) : [] });
      if (typeof s.action === "string") checkAction(source, doc, s, p, reg, envEntries, problems);
      if (isObj(s.matrix)) checkMatrixValues(source, s.id, s.matrix, [...p, "matrix"], problems);
      if (Array.isArray(s.steps)) walk(s.steps, [...p, "steps"], own, s.parallel === true);
      if (!parallel) for (const id of idsIn(s)) visible.add(id);
    });
  };
  walk(steps, ["steps"], new Set(), false);
  visibility.push({ id: "(summary)", path: [], visible: new Set(ids.keys()), matrixKeys: [] });
  problems.push(...checkExpressions(source, doc, visibility, new Set(ids.keys())));
  return problems;
}

/** A param's default must pass the checks a value given with --param passes, or the run would refuse to start. */
function checkParamDefaults(source: PlaybookSource, doc: Record<string, unknown>): Problem[] {
  const out: Problem[] = [];
  for (const [name, raw] of Object.entries(isObj(doc.params) ? doc.params : {})) {
    const spec = ParamSpec.safeParse(raw);
    if (!spec.success || spec.data.default === undefined) continue;
    const at = ["params", name, "default"];
    if (spec.data.secret)
      out.push(
        source.problem(
          at,
          `param "${name}" is secret: a default would put its value in the playbook; give it through ` +
            `CUTOVER_PARAM_${name.toUpperCase()}`,
        ),
      );
    else
      for (const msg of paramValueProblems(name, spec.data, spec.data.default))
        out.push(source.problem(at, `the default does not fit: ${msg}`));
  }
  return out;
}

/**
 * Matrix members are named by their values (deploy[eastus]): a repeated value would make two members one,
 * and so would values with "," across keys (a,b × c and a × b,c). The size is bounded before anything expands.
 */
function checkMatrixValues(
  source: PlaybookSource,
  stepId: unknown,
  matrix: Record<string, unknown>,
  at: Path,
  problems: Problem[],
) {
  let repeated = false;
  const lists: [string, unknown[]][] = [];
  for (const [key, values] of Object.entries(matrix)) {
    if (!Array.isArray(values)) continue;
    lists.push([key, values]);
    const seen = new Set<string>();
    values.forEach((v, i) => {
      if (seen.has(String(v))) {
        repeated = true;
        problems.push(
          source.problem([...at, key, i], `matrix.${key} lists ${quote(v)} twice; each member needs its own value`),
        );
      }
      seen.add(String(v));
    });
  }
  const complete = !repeated && typeof stepId === "string" && lists.length === Object.keys(matrix).length;
  problems.push(...matrixProblems(source, at, String(stepId), lists, complete));
}

function idsIn(s: Record<string, unknown>): string[] {
  const out = typeof s.id === "string" ? [s.id] : [];
  if (Array.isArray(s.steps)) for (const c of s.steps) if (isObj(c)) out.push(...idsIn(c));
  return out;
}

function checkAction(
  source: PlaybookSource,
  doc: Record<string, unknown>,
  s: Record<string, unknown>,
  p: Path,
  reg: Registries,
  env: Record<string, { provider: string }>,
  problems: Problem[],
) {
  const check = (kind: string, withBlock: unknown, at: Path) => {
    const def = reg.findAction(kind);
    if (!def) {
      problems.push(
        source.problem(
          [...at, "action"],
          `unknown action ${quote(kind)}${suggest(kind, reg.actionKinds())}; see \`cutover schema --actions\` or ` +
            `docs/actions.md`,
        ),
      );
      return;
    }
    const w = withBlock === undefined ? {} : withBlock;
    const r = def.with.safeParse(w);
    // A value written as an expression is checked again, resolved, when the step runs.
    // A `with` that is not a mapping at all was reported by the playbook schema already.
    if (!r.success && isObj(w))
      problems.push(
        ...zodProblems(source, [...at, "with"], r.error.issues, {
          skip: (q) => insideExpression(doc, q),
          schema: def.with,
          root: doc,
        }),
      );
    if (def.provider && isObj(w)) {
      const target = typeof w.target === "string" ? w.target : def.provider.defaultTarget;
      if (hasExpression(target)) return;
      const entry = Object.hasOwn(env, target) ? env[target] : undefined;
      const where = typeof w.target === "string" ? [...at, "with", "target"] : [...at, "action"];
      if (!entry) {
        problems.push(
          source.problem(
            where,
            `action ${kind} needs an environment entry "${target}" providing ${def.provider.capability}; add ` +
              `environment.${target}: { provider: ... }${typeof w.target === "string" ? "" : " or set with.target"}`,
          ),
        );
      } else {
        const prov = reg.findProvider(entry.provider);
        const needs = def.provider.capability;
        if (prov && !offers(prov, needs)) {
          const fit = providersOffering(reg, needs);
          problems.push(
            source.problem(
              where,
              `environment entry "${target}" (provider ${entry.provider}) does not provide ${needs}, which ` +
                `${kind} needs; ` +
                `providers that do: ${fit.join(", ") || "none"}`,
            ),
          );
        }
      }
    }
  };
  check(s.action as string, s.with, p);
  if (isObj(s.undo) && typeof s.undo.action === "string") check(s.undo.action, s.undo.with, [...p, "undo"]);
}

function insideExpression(doc: unknown, p: Path): boolean {
  for (let i = p.length; i > 0; i--) if (hasExpression(getAt(doc, p.slice(0, i)))) return true;
  return false;
}

/** The provider kinds whose clients offer `capability`, for "use one of" hints. */
function providersOffering(reg: Registries, capability: string): string[] {
  return reg.providerKinds().filter((k) => {
    const def = reg.findProvider(k);
    return def !== undefined && offers(def, capability);
  });
}
