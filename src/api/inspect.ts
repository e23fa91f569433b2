/**
 * Read-only views: where a run stands (`status`), which runs exist (`runs`),
 * what a playbook would do (`plan`). None of them takes a lease or changes
 * anything.
 */
import { foldRun, type RunState } from "../engine/reducer.js";
import type { LeaseInfo, RunStore, RunSummary } from "../core/run-store.js";
import { buildPlan, type PlanNode } from "../engine/plan.js";
import { undoKindOf } from "../engine/abort-order.js";
import { abortPreviewFrom, type AbortPreview, type UndoKind } from "./status-facts.js";
import { stepFacts } from "./status-facts-build.js";
import { barrierOf } from "../engine/barriers.js";
import { CutoverError, ErrorCode, isCutoverError } from "../core/errors.js";
import { resolveParams } from "../playbook/params.js";
import { assertMatricesFit } from "../playbook/check-matrix.js";
import { loadPlaybook, type LoadedPlaybook } from "../playbook/validate.js";
import { isStaticallyKnown } from "../playbook/static-values.js";
import type { Scope } from "../playbook/expressions.js";
import { Redactor } from "../engine/redact.js";
import { buildScope, resolveValue } from "../engine/resolve.js";
import { ProviderSet, registries } from "../runtime.js";
import { FileStore } from "../providers/file/index.js";
import { driverGone } from "./driver-gone.js";

export { driverGone };
import { runRedactor } from "./secrets.js";
import type { Json } from "../core/json.js";

export interface LocateOptions {
  stateDir: string;
  /** The playbook whose `environment.state` holds the run (default: the local file store). */
  playbook?: string;
  env?: NodeJS.ProcessEnv;
}

/** The store a command should read: the given playbook's state provider, or the local file store. */
export async function openStore(
  opts: LocateOptions,
): Promise<{ store: RunStore; loaded?: LoadedPlaybook; close(): Promise<void> }> {
  if (!opts.playbook) {
    const store = new FileStore({ dir: opts.stateDir });
    return { store, close: async () => undefined };
  }
  const loaded = loadPlaybook(opts.playbook, registries);
  const providers = new ProviderSet(loaded, {
    stateDir: opts.stateDir,
    env: opts.env ?? process.env,
    redactor: new Redactor(),
  });
  return { store: await providers.store(), loaded, close: () => providers.close() };
}

/**
 * `redacted`: mask the run's secrets (see api/secrets.ts) in the state, for commands that print it; the playbook
 * read for that is returned as `loaded` (undefined if it cannot be read), so a caller does not read it twice.
 */
export async function readRun(
  runId: string,
  opts: LocateOptions & { redacted?: boolean },
): Promise<{ state: RunState; file: string; lease?: LeaseInfo; loaded?: LoadedPlaybook }> {
  const { store, close } = await openStore(opts);
  try {
    let events;
    try {
      events = await store.read(runId);
    } catch (e) {
      if (isCutoverError(e, ErrorCode.RunNotFound) || isCutoverError(e, ErrorCode.Usage)) {
        throw new CutoverError(
          ErrorCode.RunNotFound,
          `no run ${runId}${opts.playbook ? ` in the state store of ${opts.playbook}` : ` in ${opts.stateDir}`}`,
          {
            hint: opts.playbook
              ? "list runs with `cutover runs --playbook <file>`"
              : "list runs with `cutover runs`; a run kept elsewhere (Azure Table Storage) needs --playbook <file>",
          },
        );
      }
      throw e;
    }
    let state = foldRun(events);
    const file = opts.playbook ?? state.playbook.file;
    let loaded: LoadedPlaybook | undefined;
    if (opts.redacted) {
      loaded = tryLoad(file);
      const redactor = runRedactor(loaded, opts.env ?? process.env);
      state = redactor.redactJson(state as unknown as Json) as unknown as RunState;
    }
    const lease = await store.readLease(state.environment);
    return { state, file, lease, loaded };
  } finally {
    await close();
  }
}

export async function listRuns(opts: LocateOptions & { environment?: string; limit?: number }): Promise<RunSummary[]> {
  const { store, close } = await openStore(opts);
  try {
    return await store.listRuns({ environment: opts.environment, limit: opts.limit });
  } finally {
    await close();
  }
}

/** A run in a listing, with where it stands (folded from its journal). */
export interface RunOverview extends RunSummary {
  /** `damaged`: its journal is refused (JOURNAL_CORRUPT); `damage` says where and why. */
  status: RunState["status"] | "damaged";
  /** The step it is on or stopped at, if any. */
  step?: string;
  /** Shown running, but nothing drives it any more (see driverGone). */
  driverGone: boolean;
  /** Why its journal cannot be read (file:line and what is wrong), for a damaged run. */
  damage?: string;
}

/**
 * `runs` for on-call: each listed run folded, so the list says which are
 * finished, paused, running or abandoned. One damaged journal is listed as
 * damaged; it never hides the others.
 */
export async function listRunOverviews(
  opts: LocateOptions & { environment?: string; limit?: number },
): Promise<RunOverview[]> {
  const { store, close } = await openStore(opts);
  try {
    const runs = await store.listRuns({ environment: opts.environment, limit: opts.limit });
    const leases = new Map<string, LeaseInfo | undefined>();
    const out: RunOverview[] = [];
    for (const r of runs) {
      let state: RunState;
      try {
        state = foldRun(await store.read(r.runId));
      } catch (e) {
        if (!isCutoverError(e, ErrorCode.JournalCorrupt)) throw e;
        out.push({ ...r, status: "damaged", driverGone: false, damage: e.message });
        continue;
      }
      if (!leases.has(state.environment)) leases.set(state.environment, await store.readLease(state.environment));
      const step =
        state.pause?.stepId ??
        state.order.find((id) => state.steps[id]?.status === "running" || state.steps[id]?.status === "failed");
      out.push({
        ...r,
        status: state.status,
        ...(step ? { step } : {}),
        driverGone: driverGone(state, leases.get(state.environment)),
      });
    }
    return out;
  } finally {
    await close();
  }
}

export type { AbortPreview, UndoKind };

export interface PlanEntry {
  id: string;
  depth: number;
  kind: "step" | "group";
  action?: string;
  summary: string;
  members?: string[];
  parallel?: boolean;
  maxParallel?: number;
  when?: string | boolean;
  idempotent?: boolean;
  resume?: string;
  onFailure?: string;
  undo?: UndoKind;
  /** A step abort cannot take back (marked in `plan`). */
  pointOfNoReturn: boolean;
  /** A data barrier's reason: past this step, abort needs --accept-data-loss (engine/barriers.ts). */
  barrier?: string;
}

function undoKind(spec: { action?: string; undo?: unknown; with?: unknown }): UndoKind {
  if (spec.undo === false) return "disabled";
  if (spec.undo && typeof spec.undo === "object") return "override";
  const def = spec.action ? registries.findAction(spec.action) : undefined;
  if (!def) return "none";
  return undoKindOf(def, spec.with);
}

/** What the playbook would do, in order, without doing anything. */
export function planPlaybook(
  file: string,
  opts: { params?: Record<string, string>; env?: NodeJS.ProcessEnv },
): { loaded: LoadedPlaybook; entries: PlanEntry[] } {
  const loaded = loadPlaybook(file, registries);
  const params = resolveParams(loaded.playbook.params, opts.params ?? {}, opts.env ?? process.env);
  assertMatricesFit(loaded.source, loaded.playbook.steps, params.all);
  const tree = buildPlan(loaded.playbook.steps, params.all);
  const planScope: Scope = { params: params.all, steps: {}, env: {}, secrets: () => undefined, run: { id: "" } };
  const entries: PlanEntry[] = [];
  const envEntries: Record<string, { provider: string }> = {};
  for (const [k, v] of Object.entries(loaded.playbook.environment))
    if (v && typeof v === "object") envEntries[k] = v as { provider: string };
  const walk = (nodes: PlanNode[], depth: number) => {
    for (const n of nodes) {
      if (n.kind === "group") {
        entries.push({
          id: n.spec.id,
          depth,
          kind: "group",
          summary: n.spec.description ?? (n.parallel ? "parallel group" : "group"),
          parallel: n.parallel,
          maxParallel: Number.isFinite(n.maxParallel) ? n.maxParallel : undefined,
          when: n.spec.when,
          pointOfNoReturn: false,
        });
        walk(n.children, depth + 1);
        continue;
      }
      const def = registries.findAction(n.spec.action!)!;
      let summary = n.spec.description ?? def.summary;
      // Inputs that read only params are known now: describe the step with them.
      const withBlock = isStaticallyKnown(n.spec.with ?? {}, params.secretNames)
        ? resolveValue(n.spec.with ?? {}, planScope)
        : undefined;
      if (def.describe && withBlock !== undefined) {
        try {
          summary = def.describe(def.with.parse(withBlock), { baseDir: loaded.baseDir, environment: envEntries });
        } catch {
          /* keep the summary */
        }
      }
      const undo = undoKind({ ...n.spec, with: withBlock ?? n.spec.with });
      entries.push({
        id: n.spec.id,
        depth,
        kind: "step",
        action: def.kind,
        summary,
        members: n.spec.matrix ? n.members.map((m) => m.id) : undefined,
        maxParallel: n.spec.matrix ? n.maxParallel : undefined,
        when: n.spec.when,
        idempotent: def.idempotent,
        resume: def.idempotent ? undefined : (n.spec.resume ?? loaded.playbook.defaults?.resume ?? "pause"),
        onFailure: n.spec.onFailure ?? loaded.playbook.defaults?.onFailure ?? "pause",
        undo,
        pointOfNoReturn: undo === "irreversible",
        barrier: barrierOf(n.spec, (kind) => registries.findAction(kind))?.reason,
      });
    }
  };
  walk(tree, 0);
  return { loaded, entries };
}

/** For `status`: what `cutover abort` would undo now, in order, and what it would leave in place. */
export function abortPreview(state: RunState, loaded?: LoadedPlaybook): AbortPreview[] {
  return abortPreviewFrom(state, loaded && stepFacts(loaded, state));
}

export function tryLoad(file: string): LoadedPlaybook | undefined {
  try {
    return loadPlaybook(file, registries);
  } catch {
    return undefined;
  }
}

/**
 * The playbook's `summary:` line for a finished run, resolved against its outputs (secrets are not available to it).
 */
export function runSummaryLine(
  loaded: LoadedPlaybook,
  state: RunState,
  env: NodeJS.ProcessEnv = process.env,
): string | undefined {
  const template = loaded.playbook.summary;
  if (!template) return undefined;
  try {
    const redactor = runRedactor(loaded, env);
    const scope = buildScope({ state, params: state.params, env, secret: () => undefined, redactor });
    return redactor.redact(String(resolveValue(template, scope)));
  } catch {
    return undefined; // a summary must never turn a successful run into an error
  }
}
