/**
 * The run journal's event vocabulary: one zod schema per event type, the
 * source of the TypeScript types below and of the check every store runs on
 * what it reads (journal-check.ts). A run's state is a pure fold of these
 * (see reducer.ts). Events are append-only and never hold secrets: `with`
 * blocks are journaled unresolved, outputs are redacted before they get here.
 *
 * Changing an event's shape: a new optional field is read by this version
 * only; an older cutover would drop it silently. So any change an older
 * reader must not half-understand raises JOURNAL_FORMAT_VERSION, and the
 * older reader refuses such a journal (docs/design.md, journal invariants).
 */
import { z } from "zod";
import type { Json } from "../core/json.js";

/**
 * The journal format this cutover writes (recorded in run.started) and the
 * newest it reads. 1: journals written before the version was recorded.
 * 2: the version recorded; run.paused of a gate carries expiresAt/onExpiry;
 * run.resumed of a changed playbook carries its steps.
 * 3: notify.sent / notify.failed (webhook notifications; an older cutover would call them damage);
 * step.succeeded may carry `effect` (what the step changed, one line for `status`; formats 1 and 2 have none);
 * run.paused may say reason "until" (a run stopped by `--until`/`--only`).
 */
export const JOURNAL_FORMAT_VERSION = 3;

/** A JSON value, checked by one plain walk (a recursive zod union costs a replay of 10,000 events ten times more). */
const JsonValue = z.custom<Json>(isJson, { message: "must be a JSON value" });

function isJson(v: unknown, depth = 0): boolean {
  if (v === null || typeof v === "string" || typeof v === "boolean") return true;
  if (typeof v === "number") return Number.isFinite(v);
  if (depth > 256 || typeof v !== "object") return false;
  if (Array.isArray(v)) return v.every((x) => isJson(x, depth + 1));
  const proto = Object.getPrototypeOf(v) as unknown;
  if (proto !== Object.prototype && proto !== null) return false;
  for (const k in v) if (!isJson((v as Record<string, unknown>)[k], depth + 1)) return false;
  return true;
}
const JsonRecord = z.record(z.string(), JsonValue);

export const ErrorInfo = z.object({
  code: z.string(),
  message: z.string(),
  retryable: z.boolean().optional(),
  /** What a person can do about it. */
  hint: z.string().optional(),
});
export type ErrorInfo = z.infer<typeof ErrorInfo>;

/** Who did something: a CLI user, a CI job, the engine itself. */
export const Actor = z.object({ user: z.string(), host: z.string(), pid: z.number().int() });
export type Actor = z.infer<typeof Actor>;

export const RunOutcome = z.enum(["succeeded", "failed", "aborted"]);
export type RunOutcome = z.infer<typeof RunOutcome>;
/** until: stopped where `--until`/`--only` asked (a pipeline stage ended); `resume` continues it. */
export const PauseReason = z.enum(["approval", "failure", "resume-policy", "until"]);
export type PauseReason = z.infer<typeof PauseReason>;
export const Decision = z.enum(["retry", "skip", "abort"]);
export type Decision = z.infer<typeof Decision>;
export const OnExpiry = z.enum(["fail", "abort", "approve"]);
export type OnExpiry = z.infer<typeof OnExpiry>;
/**
 * no-undo: the step has effects but no undo (left in place); nothing-to-undo: checks and waits;
 * barrier: it succeeded before a data barrier the run passed, so its undo would lose what users wrote since.
 */
export const UndoSkipReason = z.enum([
  "no-undo",
  "nothing-to-undo",
  "point-of-no-return",
  "operator",
  "not-completed",
  "barrier",
]);
export type UndoSkipReason = z.infer<typeof UndoSkipReason>;

/** What a playbook's `notify:` target can subscribe to (api/notify.ts maps journal events to these). */
export const NotifyEvent = z.enum(["paused", "failed", "gate-waiting", "succeeded", "aborted"]);
export type NotifyEvent = z.infer<typeof NotifyEvent>;

/**
 * One notification of one journal event to one `notify:` target. `key` is the idempotency key
 * `<runId>:<eventSeq>:<target>` (sent as the Idempotency-Key header); never the URL, which is a secret.
 */
const NotifyDelivery = {
  key: z.string(),
  /** The target's index in the playbook's `notify:` list. */
  target: z.number().int().nonnegative(),
  event: NotifyEvent,
  /** The seq of the journal event notified. */
  eventSeq: z.number().int().positive(),
  attempts: z.number().int().positive(),
};

/** A leaf unit the runner executes: a step, or one member of a matrix step. */
export const PlannedStep = z.object({
  /** Unique id in the run: `deploy` or, for a matrix member, `deploy[eastus]`. */
  id: z.string(),
  /** The playbook step id it came from. */
  stepId: z.string(),
  /** Matrix values of this member, if any. */
  matrix: JsonRecord.optional(),
});
export type PlannedStep = z.infer<typeof PlannedStep>;

// Field checks stay structural (types and presence): the order, run and step checks of journal-check.ts
// do the rest, and every check here is paid once per event on every read.
const stepId = z.string();
const attempt = z.number();
const durationMs = z.number();
const event = <T extends string, S extends z.ZodRawShape>(type: T, shape: S) =>
  z.strictObject({ type: z.literal(type), ...shape });

/** One schema per event type (the body an engine appends; stores add runId, seq and at). */
const EventBodies = [
  event("run.started", {
    playbook: z.strictObject({ name: z.string(), file: z.string(), hash: z.string() }),
    environment: z.string(),
    params: JsonRecord,
    /** Names of params whose values were withheld (secret params). */
    secretParams: z.array(z.string()),
    steps: z.array(PlannedStep),
    by: Actor,
    cutoverVersion: z.string(),
    /** The journal format (JOURNAL_FORMAT_VERSION when written); absent in journals of format 1. */
    formatVersion: z.number().int().positive().optional(),
  }),
  event("step.started", { stepId, attempt }),
  /** Action-owned state saved mid-step (e.g. a long-running operation's poller) so a resumed attempt continues it. */
  event("step.checkpoint", { stepId, attempt, data: JsonValue }),
  event("step.succeeded", {
    stepId,
    attempt,
    outputs: JsonRecord,
    /** What the action changed, for its undo (previous flag value, previous live slot...). */
    recorded: JsonValue,
    durationMs,
    /** What changed, in one line for a person (`MaintenanceMode false → true`); format 3, and only if the action says. */
    effect: z.string().optional(),
  }),
  event("step.failed", {
    stepId,
    attempt,
    error: ErrorInfo,
    durationMs,
    /** Set when the engine will try again after this delay. */
    retryInMs: z.number().nonnegative().optional(),
  }),
  event("step.skipped", {
    stepId,
    reason: z.enum(["condition", "operator", "resume-policy"]),
    by: Actor.optional(),
    note: z.string().optional(),
  }),
  event("run.paused", {
    reason: PauseReason,
    stepId: stepId.optional(),
    message: z.string(),
    /** A gate with an expiry: when it expires (resolved from its inputs when the run paused at it), and what then. */
    expiresAt: z.string().optional(),
    onExpiry: OnExpiry.optional(),
  }),
  event("run.decision", { decision: Decision, stepId: stepId.optional(), by: Actor, note: z.string().optional() }),
  event("gate.approved", { stepId, by: Actor, note: z.string().optional() }),
  event("run.interrupted", { signal: z.string(), stepId: stepId.optional() }),
  event("abort.requested", { by: Actor, reason: z.string().optional() }),
  event("undo.started", { stepId, attempt }),
  /** Action-owned state saved mid-undo (what a swap back must not repeat), given to a resumed undo. */
  event("undo.checkpoint", { stepId, attempt, data: JsonValue }),
  event("undo.succeeded", { stepId, attempt, durationMs }),
  event("undo.failed", { stepId, attempt, error: ErrorInfo, durationMs }),
  event("undo.skipped", { stepId, reason: UndoSkipReason, by: Actor.optional() }),
  event("lease.forced", { environment: z.string(), by: Actor, previousHolder: z.string().optional() }),
  /**
   * Admission (api/admission.ts), right after run.started: the environment's generation this run was admitted at
   * (1 + the runs before it), the run it followed (the environment's latest then) and the open run it superseded.
   */
  event("run.admitted", {
    generation: z.number().int().positive(),
    follows: z.string().optional(),
    supersedes: z.string().optional(),
    /** The superseded run's completed steps with a recorded undo: what it left changed. */
    leftChanged: z.array(z.string()).optional(),
  }),
  /** In an open run that `run --supersede` replaced: who did it and which run took over the environment. */
  event("run.superseded", { by: Actor, supersededBy: z.string(), leftChanged: z.array(z.string()) }),
  /** A command on a run that is not its environment's latest, done anyway with --force: who, which command, why. */
  event("run.forced", { by: Actor, command: z.string(), newerRun: z.string(), reason: z.string().optional() }),
  /** `approve --ahead`: a gate approved before the run waits at it (a pre-approval; status shows it). */
  event("gate.preapproved", { stepId, by: Actor, note: z.string().optional() }),
  /**
   * `abort --accept-data-loss`: who accepted that the undos of steps before these passed data barriers run,
   * losing what users wrote since each passed (engine/barriers.ts), and why.
   */
  event("abort.data-loss-accepted", {
    by: Actor,
    reason: z.string().min(1),
    barriers: z.array(z.strictObject({ stepId, reason: z.string(), passedAt: z.string() })),
  }),
  /** Right after run.started of a playbook with `requires:`: the run it depends on (api/linked-runs.ts). */
  event("run.linked", { requires: z.string().min(1), playbook: z.string(), environment: z.string() }),
  event("run.resumed", {
    by: Actor,
    playbookChanged: z.boolean().optional(),
    /** With a changed playbook: the steps it plans now (steps it added become part of the run). */
    steps: z.array(PlannedStep).optional(),
  }),
  event("run.finished", { outcome: RunOutcome, error: ErrorInfo.optional() }),
  /** A webhook answered 2xx: this notification is delivered (a resumed run does not send it again). */
  event("notify.sent", { ...NotifyDelivery, status: z.number().int() }),
  /** A webhook failed every attempt (or its secret was missing): given up, shown by status; the run goes on. */
  event("notify.failed", { ...NotifyDelivery, error: ErrorInfo }),
] as const;

export const RunEventBody = z.discriminatedUnion("type", EventBodies);
export type RunEventBody = z.infer<typeof RunEventBody>;
export type RunEventType = RunEventBody["type"];

/** Where a stored event sits: its run, its position (from 1, no gaps) and when the store wrote it. */
const EventPosition = { runId: z.string(), seq: z.number(), at: z.string() };

/** The schema of each stored event type (body and position), by type: one lookup and one parse per event read. */
export const StoredEventSchemas: ReadonlyMap<string, z.ZodType<RunEvent>> = new Map(
  EventBodies.map((body) => [body.shape.type.value, body.extend(EventPosition) as unknown as z.ZodType<RunEvent>]),
);

/** An event as stored: its body plus position and time. `seq` starts at 1 and has no gaps. */
export type RunEvent = RunEventBody & { runId: string; seq: number; at: string };

export type EventOf<T extends RunEventType> = Extract<RunEvent, { type: T }>;
