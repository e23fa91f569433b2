/**
 * A hand-made ActionContext for calling `action.run` / `action.undoRun`
 * directly, without the engine. Records everything the action tells the
 * engine (log lines, progress, checkpoints) so tests can assert on it.
 * Reusable by other areas' tests: `makeContext({ providers: { flags: { capabilities: ["flags"], client } } })`.
 */
import os from "node:os";
import type { Json } from "../../src/core/json.js";
import type { ActionContext, ActionDefinition, ActionResult, UndoContext } from "../../src/core/action.js";
import { CutoverError, ErrorCode } from "../../src/core/errors.js";

export interface FakeProvider {
  capabilities: string[];
  client: unknown;
}

export interface ContextOptions {
  runId?: string;
  stepId?: string;
  attempt?: number;
  signal?: AbortSignal;
  baseDir?: string;
  stateDir?: string;
  providers?: Record<string, FakeProvider>;
  priorCheckpoint?: Json;
  /** Secret values the redactor knows. */
  secrets?: string[];
  dryRun?: boolean;
}

export interface Recorded {
  info: string[];
  warn: string[];
  progress: { message: string; fraction?: number }[];
  checkpoints: Json[];
}

export interface TestContext {
  ctx: ActionContext;
  seen: Recorded;
}

export function redactor(secrets: string[]): (text: string) => string {
  const known = secrets.filter((s) => s.length > 0).sort((a, b) => b.length - a.length);
  return (text) => known.reduce((t, s) => t.split(s).join("***"), text);
}

export function makeContext(options: ContextOptions = {}): TestContext {
  const seen: Recorded = { info: [], warn: [], progress: [], checkpoints: [] };
  const providers = options.providers ?? {};
  const ctx: ActionContext = {
    runId: options.runId ?? "run-test",
    stepId: options.stepId ?? "step",
    attempt: options.attempt ?? 1,
    signal: options.signal ?? new AbortController().signal,
    log: {
      info: (m) => seen.info.push(m),
      warn: (m) => seen.warn.push(m),
      progress: (message, fraction) => seen.progress.push({ message, fraction }),
    },
    stateDir: options.stateDir ?? os.tmpdir(),
    baseDir: options.baseDir ?? process.cwd(),
    async provider<T>(target: string, capability: string): Promise<T> {
      const p = providers[target];
      if (!p) throw new CutoverError(ErrorCode.Config, `no environment entry named "${target}"`);
      if (!p.capabilities.includes(capability)) throw new CutoverError(ErrorCode.Config, `"${target}" has no capability "${capability}"`);
      return p.client as T;
    },
    async checkpoint(data) {
      // Like the journal: a copy, so later mutation by the action cannot change what was "saved".
      seen.checkpoints.push(structuredClone(data));
    },
    priorCheckpoint: options.priorCheckpoint,
    redact: redactor(options.secrets ?? []),
    dryRun: options.dryRun ?? false,
  };
  return { ctx, seen };
}

export function makeUndoContext(recorded: Json, options: ContextOptions = {}): { ctx: UndoContext; seen: Recorded } {
  const { ctx, seen } = makeContext(options);
  const { priorCheckpoint: _ignored, ...rest } = ctx;
  return { ctx: { ...rest, recorded }, seen };
}

/** Validate `with` through the action's schema (as the engine does after resolving expressions), then run it. */
export async function runAction<W>(action: ActionDefinition<W>, withInput: unknown, ctx: ActionContext): Promise<ActionResult> {
  return action.run(action.with.parse(withInput), ctx);
}

export async function undoAction<W>(action: ActionDefinition<W>, withInput: unknown, ctx: UndoContext): Promise<void> {
  if (!action.undoRun) throw new Error(`${action.kind} has no undoRun`);
  return action.undoRun(action.with.parse(withInput), ctx);
}
