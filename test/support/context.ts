/**
 * The one hand-made ActionContext for calling `action.run` / `action.undoRun`
 * directly, without the engine. It records everything the action tells the
 * engine (log lines, progress, checkpoints) so tests can assert on it.
 *
 * Providers come either ready-made (`providers: { flags: { capabilities: ["flags"], client } }`)
 * or as real provider definitions created on first use (`environment: { app: { def, config } }`).
 */
import os from "node:os";
import type { Json } from "../../src/core/json.js";
import type { ActionContext, ActionDefinition, ActionResult, UndoContext } from "../../src/core/action.js";
import { offers, type ProviderContext, type ProviderDefinition } from "../../src/core/provider.js";
import { CutoverError, ErrorCode, isCutoverError } from "../../src/core/errors.js";
import { parseCheckpoint, parseRecorded } from "../../src/core/journaled.js";
import type { SqlClient } from "../../src/providers/sql/driver.js";

/** A ready-made client offered under `capabilities`. */
interface FakeProvider {
  capabilities: string[];
  client: unknown;
}

/** A real provider definition and its (unparsed) config, created on first use like the engine does. */
export interface EnvEntry {
  def: ProviderDefinition<unknown, unknown>;
  config: Record<string, unknown>;
}

export interface ContextOptions {
  runId?: string;
  stepId?: string;
  attempt?: number;
  signal?: AbortSignal;
  baseDir?: string;
  stateDir?: string;
  providers?: Record<string, FakeProvider>;
  environment?: Record<string, EnvEntry>;
  priorCheckpoint?: Json;
  /** Secret values the redactor knows. */
  secrets?: string[];
}

export interface Recorded {
  info: string[];
  warn: string[];
  progress: { message: string; fraction?: number }[];
  /** Every log line in order, prefixed `info: `, `warn: ` or `progress: `. */
  lines: string[];
  checkpoints: Json[];
}

export interface TestContext {
  ctx: ActionContext;
  seen: Recorded;
}

function redactor(secrets: string[]): (text: string) => string {
  const known = secrets.filter((s) => s.length > 0).sort((a, b) => b.length - a.length);
  return (text) => known.reduce((t, s) => t.split(s).join("***"), text);
}

/** What a provider's `create` receives; secrets come from `secrets`, then the environment. */
export function providerContext(
  secrets: Record<string, string> = {},
  name = "test",
  dirs: { stateDir?: string; baseDir?: string } = {},
): ProviderContext {
  return {
    stateDir: dirs.stateDir ?? os.tmpdir(),
    baseDir: dirs.baseDir ?? process.cwd(),
    name,
    secret: (key) => secrets[key] ?? process.env[key],
  };
}

export function makeContext(options: ContextOptions = {}): TestContext {
  const seen: Recorded = { info: [], warn: [], progress: [], lines: [], checkpoints: [] };
  const stateDir = options.stateDir ?? os.tmpdir();
  const baseDir = options.baseDir ?? process.cwd();
  const created = new Map<string, Promise<unknown>>();
  const client = (target: string, capability: string): Promise<unknown> | undefined => {
    const fake = options.providers?.[target];
    if (fake) return fake.capabilities.includes(capability) ? Promise.resolve(fake.client) : undefined;
    const entry = options.environment?.[target];
    if (!entry || !offers(entry.def, capability)) return undefined;
    if (!created.has(target)) {
      const config = entry.def.config.parse(entry.config);
      created.set(
        target,
        Promise.resolve(entry.def.create(config, { stateDir, baseDir, name: target, secret: () => undefined })),
      );
    }
    return created.get(target);
  };
  const ctx: ActionContext = {
    runId: options.runId ?? "run-test",
    stepId: options.stepId ?? "step",
    attempt: options.attempt ?? 1,
    signal: options.signal ?? new AbortController().signal,
    log: {
      info: (m) => void (seen.info.push(m), seen.lines.push(`info: ${m}`)),
      warn: (m) => void (seen.warn.push(m), seen.lines.push(`warn: ${m}`)),
      progress: (message, fraction) =>
        void (seen.progress.push({ message, fraction }), seen.lines.push(`progress: ${message}`)),
    },
    stateDir,
    baseDir,
    async provider<T>(target: string, capability: string): Promise<T> {
      const found = client(target, capability);
      if (!found)
        throw new CutoverError(ErrorCode.Config, `no environment entry "${target}" with capability "${capability}"`);
      return (await found) as T;
    },
    async checkpoint(data) {
      // Like the journal: a copy, so later mutation by the action cannot change what was "saved".
      seen.checkpoints.push(structuredClone(data));
    },
    priorCheckpoint: options.priorCheckpoint,
    redact: redactor(options.secrets ?? []),
  };
  return { ctx, seen };
}

export function makeUndoContext(recorded: Json, options: ContextOptions = {}): { ctx: UndoContext; seen: Recorded } {
  const { ctx, seen } = makeContext(options);
  const { priorCheckpoint: _ignored, ...rest } = ctx;
  return { ctx: { ...rest, recorded }, seen };
}

/**
 * A context whose `db` target is `client` (capability `sql`), for the migrate.* actions, with the
 * log lines and checkpoints on the context itself. Each call gets its own run id unless given one.
 */
export function sqlContext(
  client: SqlClient,
  options: ContextOptions = {},
): ActionContext & { log: { lines: string[] }; checkpoints: Json[] } {
  const runId = options.runId ?? `run-${Math.random().toString(36).slice(2, 8)}`;
  const { ctx, seen } = makeContext({
    stepId: "migrate",
    baseDir: os.tmpdir(),
    ...options,
    runId,
    providers: { db: { capabilities: ["sql"], client } },
  });
  return { ...ctx, log: { ...ctx.log, lines: seen.lines }, checkpoints: seen.checkpoints };
}

/**
 * Validate `with` through the action's schema (as the engine does after resolving expressions), then run it
 * with its prior checkpoint parsed by the action's `checkpoints` schema (as the engine does).
 */
export async function runAction<W>(
  action: ActionDefinition<W>,
  withInput: unknown,
  ctx: ActionContext,
): Promise<ActionResult> {
  return action.run(action.with.parse(withInput), withPriorParsed(action, ctx));
}

function withPriorParsed<W>(action: ActionDefinition<W>, ctx: ActionContext): ActionContext {
  return { ...ctx, priorCheckpoint: parseCheckpoint(action, ctx.stepId, ctx.priorCheckpoint) };
}

/** An undo context with its record and checkpoint parsed by the action's schemas, as abort does. */
function undoParsed<W>(action: ActionDefinition<W>, ctx: UndoContext): UndoContext {
  const lastCheckpoint = parseCheckpoint(action, ctx.stepId, ctx.lastCheckpoint);
  return {
    ...ctx,
    recorded: parseRecorded(action, ctx.stepId, ctx.recorded),
    ...(lastCheckpoint === undefined ? {} : { lastCheckpoint }),
  };
}

/** runAction, also handing back the parsed input (for a later undoParsedAction). */
export async function runActionParsed<W>(
  action: ActionDefinition<W>,
  withInput: unknown,
  ctx: ActionContext,
): Promise<{ input: W; result: ActionResult }> {
  const input = action.with.parse(withInput);
  return { input, result: await action.run(input, withPriorParsed(action, ctx)) };
}

export async function undoAction<W>(action: ActionDefinition<W>, withInput: unknown, ctx: UndoContext): Promise<void> {
  if (!action.undoRun) throw new Error(`${action.kind} has no undoRun`);
  return action.undoRun(action.with.parse(withInput), undoParsed(action, ctx));
}

/** Undo with an already parsed input and what its run recorded, in a run context turned into an undo context. */
export async function undoParsedAction<W>(
  action: ActionDefinition<W>,
  input: W,
  recorded: Json | undefined,
  ctx: ActionContext,
): Promise<void> {
  if (!action.undoRun) throw new Error(`${action.kind} has no undoRun`);
  const { priorCheckpoint: _ignored, ...rest } = ctx;
  return action.undoRun(input, undoParsed(action, { ...rest, recorded: recorded ?? null }));
}

/** The CutoverError a promise rejects with (fails the test if it resolves or rejects with something else). */
export async function failureOf(p: Promise<unknown>): Promise<CutoverError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  if (!isCutoverError(e)) throw new Error(`expected a CutoverError, got ${String(e)}`);
  return e;
}
