/**
 * A run's state is a pure fold of its journal (docs/design.md, "the journal is
 * the truth"). No I/O, no clock: `status`, `resume`, the runner and the
 * renderers all read this. Its input is checked by the store that read it
 * (journal-check.ts): every event matches its schema and names a planned
 * step, so an event this fold cannot place is a bug, and it throws.
 */
import type { Actor, ErrorInfo, OnExpiry, PauseReason, PlannedStep, RunEvent, RunOutcome } from "./events.js";
import type { Json } from "../core/json.js";

export type StepStatus = "pending" | "running" | "succeeded" | "failed" | "skipped";
type UndoStatus = "pending" | "running" | "succeeded" | "failed" | "skipped";

export interface StepState {
  id: string;
  stepId: string;
  matrix?: Record<string, Json>;
  status: StepStatus;
  attempts: number;
  /** Failed attempts counted against the retry budget (reset by an operator's retry). */
  failures: number;
  startedAt?: string;
  finishedAt?: string;
  /** Machine time spent in attempts, summed. */
  durationMs: number;
  outputs: Record<string, Json>;
  recorded?: Json;
  /** What the step changed, in one line (step.succeeded's `effect`; absent in journals before format 3). */
  effect?: string;
  /** Last action checkpoint of the current attempt. */
  checkpoint?: Json;
  error?: ErrorInfo;
  /** When a retry is scheduled. */
  retryInMs?: number;
  skipReason?: string;
  approvedBy?: Actor;
  /** Approved with `approve --ahead`, before the run waited at it. */
  approvedAhead?: boolean;
  /** Order in which steps succeeded: abort undoes in reverse. */
  succeededOrder?: number;
  undo: { status: UndoStatus; attempts: number; error?: ErrorInfo; reason?: string; checkpoint?: Json };
}

export type RunStatus = "running" | "paused" | "interrupted" | "aborting" | "succeeded" | "failed" | "aborted";

export interface RunState {
  runId: string;
  playbook: { name: string; file: string; hash: string };
  environment: string;
  params: Record<string, Json>;
  secretParams: string[];
  status: RunStatus;
  startedAt: string;
  updatedAt: string;
  finishedAt?: string;
  startedBy: Actor;
  cutoverVersion: string;
  order: string[];
  steps: Record<string, StepState>;
  pause?: {
    reason: PauseReason;
    stepId?: string;
    message: string;
    at: string;
    expiresAt?: string;
    onExpiry?: OnExpiry;
  };
  /** Decisions waiting to be acted on (retry/skip of a paused step). */
  pendingDecision?: { decision: "retry" | "skip"; stepId?: string; by: Actor; note?: string };
  abortRequested?: { by: Actor; reason?: string; at: string };
  outcome?: RunOutcome;
  error?: ErrorInfo;
  lastSeq: number;
  forcedLeases: { by: Actor; previousHolder?: string; at: string }[];
  /** The environment's generation at admission (run.admitted; absent in older journals). */
  admission?: { generation: number; follows?: string; supersedes?: string; leftChanged?: string[] };
  /** Set when a later run took over the environment with `run --supersede`. */
  supersededBy?: { runId: string; by: Actor; at: string };
  /** `abort --accept-data-loss`: who accepted losing what users wrote past which barriers (engine/barriers.ts). */
  dataLossAccepted?: { by: Actor; reason: string; barriers: string[]; at: string };
  /** The run this one depends on (`requires:`; api/linked-runs.ts). */
  linked?: { requires: string; playbook: string; environment: string };
  /** Commands done with --force although a newer run existed. */
  forced: { by: Actor; command: string; newerRun: string; reason?: string; at: string }[];
  /** Webhook notifications (notify.sent / notify.failed): never part of any step's state. */
  notifications?: NotificationsState;
}

interface NotificationsState {
  sent: number;
  /** Given up after bounded retries (api/notify.ts); status shows them. */
  failed: { key: string; target: number; event: string; eventSeq: number; at: string; error: ErrorInfo }[];
}

export function foldRun(events: RunEvent[]): RunState {
  const first = events[0];
  if (!first || first.type !== "run.started") throw new Error("a journal starts with run.started");
  const state = initial(first);
  for (let i = 1; i < events.length; i++) applyEvent(state, events[i]!);
  return state;
}

function initial(e: Extract<RunEvent, { type: "run.started" }>): RunState {
  const steps: Record<string, StepState> = {};
  for (const s of e.steps) steps[s.id] = newStep(s);
  return {
    runId: e.runId,
    playbook: e.playbook,
    environment: e.environment,
    params: e.params,
    secretParams: e.secretParams,
    status: "running",
    startedAt: e.at,
    updatedAt: e.at,
    startedBy: e.by,
    cutoverVersion: e.cutoverVersion,
    order: e.steps.map((s) => s.id),
    steps,
    lastSeq: e.seq,
    forcedLeases: [],
    forced: [],
  };
}

function newStep(s: PlannedStep): StepState {
  return {
    id: s.id,
    stepId: s.stepId,
    matrix: s.matrix,
    status: "pending",
    attempts: 0,
    failures: 0,
    durationMs: 0,
    outputs: {},
    undo: { status: "pending", attempts: 0 },
  };
}

/**
 * Apply one event to a state owned by the caller (foldRun's fresh state, or
 * the runner's working copy). Mutating keeps a 10,000-event replay linear.
 */
export function applyEvent(s: RunState, e: RunEvent): RunState {
  s.lastSeq = e.seq;
  s.updatedAt = e.at;
  const step = (id: string): StepState => {
    const cur = s.steps[id];
    if (!cur) throw new Error(`${e.type} (seq ${e.seq}) names step ${id}, which run ${s.runId} never planned`);
    return cur;
  };
  switch (e.type) {
    case "run.started":
      break;
    case "step.started": {
      const st = step(e.stepId);
      st.status = "running";
      st.attempts = e.attempt;
      st.startedAt ??= e.at;
      if (s.pendingDecision?.stepId === e.stepId) s.pendingDecision = undefined;
      st.error = undefined;
      st.retryInMs = undefined;
      if (s.status !== "aborting") s.status = "running";
      s.pause = undefined;
      break;
    }
    case "step.checkpoint":
      step(e.stepId).checkpoint = e.data;
      break;
    case "step.succeeded": {
      const st = step(e.stepId);
      st.status = "succeeded";
      st.outputs = e.outputs;
      st.recorded = e.recorded;
      if (e.effect !== undefined) st.effect = e.effect;
      st.finishedAt = e.at;
      st.durationMs += e.durationMs;
      st.succeededOrder = e.seq;
      break;
    }
    case "step.failed": {
      const st = step(e.stepId);
      st.status = "failed";
      st.error = e.error;
      if (e.error.code !== "CANCELLED") st.failures += 1;
      st.durationMs += e.durationMs;
      st.retryInMs = e.retryInMs;
      st.finishedAt = e.at;
      break;
    }
    case "step.skipped": {
      const st = step(e.stepId);
      st.status = "skipped";
      st.skipReason =
        e.reason === "operator" ? `skipped by ${e.by?.user ?? "operator"}${e.note ? `: ${e.note}` : ""}` : e.reason;
      st.finishedAt = e.at;
      if (s.pendingDecision?.stepId === e.stepId) s.pendingDecision = undefined;
      break;
    }
    case "gate.approved":
      step(e.stepId).approvedBy = e.by;
      break;
    case "run.paused":
      s.status = "paused";
      s.pause = { reason: e.reason, stepId: e.stepId, message: e.message, at: e.at };
      if (e.expiresAt !== undefined) s.pause.expiresAt = e.expiresAt;
      if (e.onExpiry !== undefined) s.pause.onExpiry = e.onExpiry;
      break;
    case "run.decision":
      if (e.decision === "abort") break;
      s.pendingDecision = { decision: e.decision, stepId: e.stepId, by: e.by, note: e.note };
      if (e.decision === "retry" && e.stepId && s.steps[e.stepId]) s.steps[e.stepId]!.failures = 0;
      break;
    case "run.resumed":
      // A changed playbook's steps: those it added join the run
      // (after the steps it had; the plan decides what runs when).
      for (const p of e.steps ?? []) {
        if (s.steps[p.id]) continue;
        s.steps[p.id] = newStep(p);
        s.order.push(p.id);
      }
      if (s.status === "paused" || s.status === "interrupted") s.status = s.abortRequested ? "aborting" : "running";
      break;
    case "run.interrupted":
      s.status = "interrupted";
      break;
    case "abort.requested":
      s.status = "aborting";
      s.abortRequested = { by: e.by, reason: e.reason, at: e.at };
      s.pause = undefined;
      break;
    case "undo.started": {
      const st = step(e.stepId);
      if (s.pendingDecision?.stepId === e.stepId) s.pendingDecision = undefined;
      // A retried undo keeps what earlier attempts checkpointed.
      st.undo = {
        status: "running",
        attempts: e.attempt,
        ...(st.undo.checkpoint === undefined ? {} : { checkpoint: st.undo.checkpoint }),
      };
      s.status = "aborting";
      break;
    }
    case "undo.checkpoint":
      step(e.stepId).undo.checkpoint = e.data;
      break;
    case "undo.succeeded":
      step(e.stepId).undo.status = "succeeded";
      break;
    case "undo.failed": {
      const u = step(e.stepId).undo;
      u.status = "failed";
      u.error = e.error;
      break;
    }
    case "undo.skipped": {
      const u = step(e.stepId).undo;
      u.status = "skipped";
      u.reason = e.reason;
      if (s.pendingDecision?.stepId === e.stepId) s.pendingDecision = undefined;
      break;
    }
    case "run.admitted":
      s.admission = {
        generation: e.generation,
        follows: e.follows,
        supersedes: e.supersedes,
        leftChanged: e.leftChanged,
      };
      break;
    case "run.superseded":
      s.supersededBy = { runId: e.supersededBy, by: e.by, at: e.at };
      break;
    case "abort.data-loss-accepted":
      s.dataLossAccepted = { by: e.by, reason: e.reason, barriers: e.barriers.map((b) => b.stepId), at: e.at };
      break;
    case "run.linked":
      s.linked = { requires: e.requires, playbook: e.playbook, environment: e.environment };
      break;
    case "run.forced":
      s.forced.push({ by: e.by, command: e.command, newerRun: e.newerRun, reason: e.reason, at: e.at });
      break;
    case "gate.preapproved": {
      const st = step(e.stepId);
      st.approvedBy = e.by;
      st.approvedAhead = true;
      break;
    }
    case "lease.forced":
      s.forcedLeases.push({ by: e.by, previousHolder: e.previousHolder, at: e.at });
      break;
    case "notify.sent":
      (s.notifications ??= { sent: 0, failed: [] }).sent += 1;
      break;
    case "notify.failed": {
      const { key, target, event, eventSeq, at, error } = e;
      (s.notifications ??= { sent: 0, failed: [] }).failed.push({ key, target, event, eventSeq, at, error });
      break;
    }
    case "run.finished":
      s.status = e.outcome;
      s.outcome = e.outcome;
      s.error = e.error;
      s.finishedAt = e.at;
      s.pause = undefined;
      break;
    default: {
      const unknown: never = e;
      throw new Error(
        `unknown event type ${JSON.stringify((unknown as { type?: unknown }).type)} (seq ${(unknown as RunEvent).seq})`,
      );
    }
  }
  return s;
}

export function isFinished(s: RunState): boolean {
  return s.status === "succeeded" || s.status === "failed" || s.status === "aborted";
}

/** Completed steps in the order abort must undo them (most recent success first). */
export function undoOrder(s: RunState): StepState[] {
  return Object.values(s.steps)
    .filter((st) => st.status === "succeeded")
    .sort((a, b) => (b.succeededOrder ?? 0) - (a.succeededOrder ?? 0));
}
