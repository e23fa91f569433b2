/**
 * The one interface between the engine and everything that touches the world.
 * Each action kind is one file in src/actions/ exporting an ActionDefinition;
 * src/actions/registry.ts lists them. Actions reach providers (local, nginx,
 * sql, azure...) only through `ctx.provider(target, token)`, which the composition
 * root resolves from the playbook's `environment:` block.
 *
 * Rules for a built-in action (docs/design.md invariants 4 and 5):
 * - Observe first, then change, so a re-run after a crash converges without
 *   doing the side effect twice. If that is impossible, set `idempotent: false`
 *   and the step's `resume:` policy decides what a resumed run does.
 * - Return in `recorded` what you changed (the previous value), so `undo`
 *   can restore it. `undo` must be idempotent too.
 * - Honour `ctx.signal`; throw ActionFailure for a legitimate "no" (health
 *   check failed) and let other errors be retried by the step's policy.
 */
import type { z } from "zod";
import type { CapabilityToken } from "./capabilities.js";
import type { Json } from "./json.js";
import { CutoverError, ErrorCode } from "./errors.js";

export interface ActionLogger {
  info(message: string): void;
  warn(message: string): void;
  /** Progress of a long step (rows done, polls...). Shown live; not journaled. */
  progress(message: string, fraction?: number): void;
}

/** `C`: the shape of what `run` checkpoints (the action's `checkpoints` schema; Json when it declares none). */
export interface ActionContext<C = Json> {
  runId: string;
  /**
   * The open run this run superseded (`run --supersede`): its measurements are this run's baseline (migrate.validate).
   */
  supersedes?: string;
  /** The planned step id (`deploy` or `deploy[eastus]`). */
  stepId: string;
  attempt: number;
  signal: AbortSignal;
  log: ActionLogger;
  /** Directory for project-local state (`.cutover` by default). */
  stateDir: string;
  /** Directory of the playbook file: relative paths in `with` resolve against it. */
  baseDir: string;
  /**
   * The client of the environment entry named `target` (e.g. `app`, `flags`, `db`), typed by
   * the capability token (`ctx.provider(target, Flags)` is a FlagStore).
   * Throws CONFIG_INVALID if there is none or it lacks `capability`.
   */
  provider<T>(target: string, capability: CapabilityToken<T>): Promise<T>;
  /** Save action-owned state durably (journaled) before the next side effect. */
  checkpoint(data: Json): Promise<void>;
  /** The last checkpoint of an earlier attempt of this step, on retry or resume (parsed with `checkpoints`). */
  priorCheckpoint?: C;
  /** Replace every known secret value in `text` by `***`. */
  redact(text: string): string;
  /** For a gate: who approved it. */
  approval?: { by: { user: string; host: string }; note?: string };
  /**
   * The lease this run holds on its environment. `ctx.provider` hands clients that can carry the token
   * (`Fenceable`) a copy bound to it, and their target refuses a lower token than it has seen; before
   * a side effect on a target that cannot check a token (ARM), call `fence.assertHeld()`.
   */
  fence?: ActionFence;
}

/** The run's fencing token on its environment, for side effects (not only journal writes). */
export interface ActionFence {
  environment: string;
  token: number;
  /** Throws LEASE_LOST unless the environment's lease still carries this token (asks the store now). */
  assertHeld(): Promise<void>;
}

/** A provider client that can send the fencing token with its side effects, so its target refuses a stale one. */
export interface Fenceable<T = unknown> {
  withFence(fence: { environment: string; token: number }): T;
}

export function isFenceable(client: unknown): client is Fenceable {
  return typeof (client as Partial<Fenceable> | null)?.withFence === "function";
}

export interface ActionResult {
  outputs?: Record<string, Json>;
  /** What was changed, handed back to `undo`. Must not hold secrets. */
  recorded?: Json;
  /**
   * What changed, in one line for whoever is on call (`MaintenanceMode false → true`, `green is live`,
   * `applied 0001–0003`, or `already live: nothing changed`): journaled with the step's success and shown by
   * `status` under "what changed so far". Redacted like outputs.
   */
  effect?: string;
}

/** `R` and `C`: the shapes of what `run` records and checkpoints (its `records` and `checkpoints` schemas). */
export interface UndoContext<R = Json, C = Json> extends Omit<ActionContext, "priorCheckpoint"> {
  /**
   * What the successful `run` recorded, parsed with `records`; null for a step that did not complete
   * (see `undoIncomplete`).
   */
  recorded: R | null;
  /** For a step that did not complete: the last checkpoint its attempt wrote, if any (parsed with `checkpoints`). */
  lastCheckpoint?: C;
  /** What an earlier, interrupted attempt of this undo saved with `checkpoint` (journaled as `undo.checkpoint`). */
  priorUndoCheckpoint?: Json;
}

interface PlanContext {
  baseDir: string;
  /** The environment entry names with their provider kinds. */
  environment: Record<string, { provider: string }>;
}

export interface ActionDefinition<W = unknown, R = Json, C = Json> {
  /** The `action:` value, e.g. `exec`, `http.check`, `local.swap`. */
  kind: string;
  /** One line for `cutover plan` and the docs. */
  summary: string;
  /** Longer Markdown for docs/actions.md. */
  description?: string;
  /** Schema of the step's `with:` block; the source of its docs and JSON Schema. */
  with: z.ZodType<W>;
  /**
   * Whether re-running after a crash mid-step converges without repeating the
   * side effect. Non-idempotent actions are governed by the step's `resume:`.
   */
  idempotent: boolean;
  /**
   * `recorded`: run() records what it changed and undo() restores it.
   * `none`: nothing to undo (checks, waits); abort passes over it silently.
   * `irreversible`: a point of no return; `plan` flags it and abort reports it left in place.
   */
  undo: "recorded" | "none" | "irreversible";
  /**
   * Whether `undoRun` can also take back what a failed or interrupted attempt
   * changed: it is then called with `recorded: null` and finds those changes
   * from the target's own records (a migration finds in its journal table the
   * scripts this run applied). Without it, abort reports such a step as not
   * completed and leaves it to a person.
   */
  undoIncomplete?: boolean;
  /** When the undo kind depends on the inputs (an expand migration is harmless to leave; a contract is not). */
  undoFor?(input: W): "recorded" | "none" | "irreversible";
  /**
   * A gate: the engine pauses the run (exit 3) before this step until a person
   * approves it (`cutover approve`); `run` then sees `ctx.approval`.
   */
  gate?: boolean;
  /**
   * Which environment entry it uses by default (`with.target` overrides it), and the capability it
   * needs there: `validate` refuses an entry whose provider does not offer it.
   */
  provider?: { capability: CapabilityToken<never>; defaultTarget: string };
  /**
   * A data barrier: once a step of this action has succeeded, what users write cannot be carried back by the
   * undos of the steps before it (e.g. dropping the old database's clone). The reason is shown by `plan`,
   * `status` and a refused `abort`; a step's own `barrier:` takes precedence.
   */
  barrier?: { reason: string };
  /** What this step would do, in one line, without doing it (for `plan` and `--dry-run`). */
  describe?(input: W, ctx: PlanContext): string;
  /**
   * Schema of what `run` returns in `recorded`. The engine parses the journaled record with it before
   * `undoRun`; one that does not match is a JOURNAL_RECORD_INVALID error naming the step, not a crash.
   */
  records?: z.ZodType<R>;
  /**
   * Schema of what `run` saves with `ctx.checkpoint`, parsed the same way before a retried or resumed
   * attempt sees it (`priorCheckpoint`) and before `undoRun` (`lastCheckpoint`).
   */
  checkpoints?: z.ZodType<C>;
  run(input: W, ctx: ActionContext<C>): Promise<ActionResult>;
  undoRun?(input: W, ctx: UndoContext<R, C>): Promise<void>;
}

/** A legitimate negative outcome ("health check says no"): not an unexpected error. */
export class ActionFailure extends CutoverError {
  constructor(
    message: string,
    options: { hint?: string; retryable?: boolean; details?: Record<string, unknown>; cause?: unknown } = {},
  ) {
    super(ErrorCode.StepFailed, message, { retryable: options.retryable ?? true, ...options });
  }
}

/** Define an action with its `with`, record and checkpoint types inferred from its schemas. */
export function defineAction<S extends z.ZodType, R = Json, C = Json>(
  def: ActionDefinition<z.infer<S>, R, C> & { with: S },
): ActionDefinition<z.infer<S>, R, C> {
  return def;
}
