/**
 * A hand-made ActionContext for driving local.* and nginx.* actions directly
 * (without the runner): providers resolved from a small environment map,
 * checkpoints kept in memory so a test can replay a "resumed" attempt.
 */
import type { Json } from "../../src/core/json.js";
import type { ActionContext, ActionDefinition, UndoContext } from "../../src/core/action.js";
import type { ProviderDefinition } from "../../src/core/provider.js";
import { CutoverError, ErrorCode } from "../../src/core/errors.js";

export interface EnvEntry {
  def: ProviderDefinition<unknown, unknown>;
  config: Record<string, unknown>;
}

export interface TestContext {
  ctx: ActionContext;
  logs: string[];
  checkpoints: Json[];
}

export function makeContext(opts: {
  stateDir: string;
  baseDir: string;
  environment: Record<string, EnvEntry>;
  stepId?: string;
  priorCheckpoint?: Json;
  signal?: AbortSignal;
}): TestContext {
  const logs: string[] = [];
  const checkpoints: Json[] = [];
  const clients = new Map<string, unknown>();
  const ctx: ActionContext = {
    runId: "r-test",
    stepId: opts.stepId ?? "step",
    attempt: 1,
    signal: opts.signal ?? new AbortController().signal,
    log: {
      info: (m) => logs.push(m),
      warn: (m) => logs.push(`warn: ${m}`),
      progress: (m) => logs.push(`progress: ${m}`),
    },
    stateDir: opts.stateDir,
    baseDir: opts.baseDir,
    async provider<T>(target: string, capability: string): Promise<T> {
      const entry = opts.environment[target];
      if (!entry || !entry.def.capabilities.includes(capability)) {
        throw new CutoverError(ErrorCode.Config, `no environment entry ${target} with capability ${capability}`);
      }
      if (!clients.has(target)) {
        const config = entry.def.config.parse(entry.config);
        clients.set(target, await entry.def.create(config, { stateDir: opts.stateDir, baseDir: opts.baseDir, name: target, secret: () => undefined }));
      }
      return clients.get(target) as T;
    },
    async checkpoint(data) {
      checkpoints.push(data);
    },
    priorCheckpoint: opts.priorCheckpoint,
    redact: (t) => t,
    dryRun: false,
  };
  return { ctx, logs, checkpoints };
}

/** Parse `with` through the action's schema (defaults applied), then run it. */
export async function runAction<W>(action: ActionDefinition<W>, input: unknown, ctx: ActionContext) {
  const parsed = action.with.parse(input);
  return { input: parsed, result: await action.run(parsed, ctx) };
}

export async function undoAction<W>(action: ActionDefinition<W>, input: W, recorded: Json | undefined, ctx: ActionContext): Promise<void> {
  const undoCtx: UndoContext = { ...ctx, recorded: recorded ?? null };
  await action.undoRun?.(input, undoCtx);
}
