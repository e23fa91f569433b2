/**
 * Everything a run needs, resolved before it takes the lease or changes
 * anything (issue 9, case 6): the secrets its steps and providers read and
 * the files and folders its steps name. A run that would turn maintenance on
 * and then fail on `secret DEPLOY_TOKEN is not set` is refused up front
 * instead, with every missing thing listed at once (exit 2, nothing changed).
 */
import fs from "node:fs";
import path from "node:path";
import { CutoverError, ErrorCode } from "../core/errors.js";
import type { Json } from "../core/json.js";
import { buildPlan, leafSpecs } from "../engine/plan.js";
import { hasExpression } from "../playbook/expressions.js";
import type { LoadedPlaybook } from "../playbook/validate.js";
import { lookupSecret } from "../runtime.js";
import { referencedSecrets } from "./secrets.js";

/** What is missing, one line each: `secret DEPLOY_TOKEN (set CUTOVER_SECRET_DEPLOY_TOKEN or DEPLOY_TOKEN)`. */
function missingForRun(loaded: LoadedPlaybook, params: Record<string, Json>, env: NodeJS.ProcessEnv): string[] {
  return [...missingSecrets(loaded, env), ...missingFiles(loaded, params)];
}

/** Throws USAGE (exit 2) listing everything missing. */
export function assertRunnable(loaded: LoadedPlaybook, params: Record<string, Json>, env: NodeJS.ProcessEnv): void {
  const missing = missingForRun(loaded, params, env);
  if (missing.length === 0) return;
  throw new CutoverError(
    ErrorCode.Usage,
    `run of ${loaded.playbook.name} needs what is not there (nothing was changed):\n` +
      `${missing.map((m) => `  - ${m}`).join("\n")}`,
    {
      hint: "provide each of them, then run again",
    },
  );
}

function missingSecrets(loaded: LoadedPlaybook, env: NodeJS.ProcessEnv): string[] {
  // A provider's `…Secret` beside an `endpoint` is optional (the identity is used without it).
  const optional = new Set<string>();
  for (const entry of Object.values(loaded.playbook.environment ?? {})) {
    if (!entry || typeof entry !== "object" || !("endpoint" in entry)) continue;
    for (const [k, v] of Object.entries(entry)) if (k.endsWith("Secret") && typeof v === "string") optional.add(v);
  }
  return [...referencedSecrets(loaded)]
    .filter((name) => !optional.has(name) && lookupSecret(env, name) === undefined)
    .sort()
    .map((name) => `secret ${name} (set CUTOVER_SECRET_${name} or ${name})`);
}

interface FileRef {
  step: string;
  field: string;
  value: string;
  /** Resolve against this folder field's value when it is given (exec's `cwd` for its command). */
  relativeTo?: string;
  kind: "folder" | "file";
}

/** Folders (`dir`, `cwd`) and relative programs (`command[0]` with a `/`) that steps and their undos name literally. */
function fileRefs(loaded: LoadedPlaybook, params: Record<string, Json>): FileRef[] {
  const refs: FileRef[] = [];
  const visit = (step: string, where: string, w: unknown) => {
    if (!w || typeof w !== "object" || Array.isArray(w)) return;
    const block = w as Record<string, unknown>;
    const cwd = typeof block.cwd === "string" && !hasExpression(block.cwd) ? block.cwd : undefined;
    for (const field of ["dir", "cwd"]) {
      const v = block[field];
      if (typeof v === "string" && !hasExpression(v))
        refs.push({ step, field: `${where}.${field}`, value: v, kind: "folder" });
    }
    const cmd = Array.isArray(block.command) ? (block.command[0] as unknown) : undefined;
    if (typeof cmd === "string" && cmd.includes("/") && !hasExpression(cmd)) {
      refs.push({ step, field: `${where}.command[0]`, value: cmd, relativeTo: cwd, kind: "file" });
    }
  };
  for (const spec of leafSpecs(buildPlan(loaded.playbook.steps, params)).values()) {
    visit(spec.id, "with", spec.with);
    if (spec.undo && typeof spec.undo === "object") visit(spec.id, "undo.with", (spec.undo as { with?: unknown }).with);
  }
  return refs;
}

function missingFiles(loaded: LoadedPlaybook, params: Record<string, Json>): string[] {
  const out: string[] = [];
  for (const r of fileRefs(loaded, params)) {
    const full = path.resolve(loaded.baseDir, r.relativeTo ?? ".", r.value);
    let stat: fs.Stats | undefined;
    try {
      stat = fs.statSync(full);
    } catch {
      stat = undefined;
    }
    const ok = stat && (r.kind === "folder" ? stat.isDirectory() : stat.isFile());
    if (!ok)
      out.push(
        `${r.kind} ${r.value} of step ${r.step} (${r.field}): ` +
          `${stat ? `not a ${r.kind}` : "no such " + r.kind}: ${full}`,
      );
  }
  return out;
}
