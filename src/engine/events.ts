/**
 * The run journal's event vocabulary. A run's state is a pure fold of these
 * (see reducer.ts). Events are append-only and never hold secrets: `with`
 * blocks are journaled unresolved, outputs are redacted before they get here.
 */

import type { Json } from "../core/json.js";

export interface ErrorInfo {
  code: string;
  message: string;
  retryable?: boolean;
  /** What a person can do about it. */
  hint?: string;
}

/** Who did something: a CLI user, a CI job, the engine itself. */
export interface Actor {
  user: string;
  host: string;
  pid: number;
}

export type RunOutcome = "succeeded" | "failed" | "aborted";
export type PauseReason = "approval" | "failure" | "resume-policy";
export type Decision = "retry" | "skip" | "abort";
/** no-undo: the step has effects but no undo (left in place); nothing-to-undo: checks and waits. */
export type UndoSkipReason = "no-undo" | "nothing-to-undo" | "point-of-no-return" | "operator" | "not-completed";

/** A leaf unit the runner executes: a step, or one member of a matrix step. */
export interface PlannedStep {
  /** Unique id in the run: `deploy` or, for a matrix member, `deploy[eastus]`. */
  id: string;
  /** The playbook step id it came from. */
  stepId: string;
  /** Matrix values of this member, if any. */
  matrix?: Record<string, Json>;
}

export type RunEventBody =
  | {
      type: "run.started";
      playbook: { name: string; file: string; hash: string };
      environment: string;
      params: Record<string, Json>;
      /** Names of params whose values were withheld (secret params). */
      secretParams: string[];
      steps: PlannedStep[];
      by: Actor;
      cutoverVersion: string;
    }
  | { type: "step.started"; stepId: string; attempt: number }
  | {
      /** Action-owned state saved mid-step (e.g. a long-running operation's poller) so a resumed attempt continues it. */
      type: "step.checkpoint";
      stepId: string;
      attempt: number;
      data: Json;
    }
  | {
      type: "step.succeeded";
      stepId: string;
      attempt: number;
      outputs: Record<string, Json>;
      /** What the action changed, for its undo (previous flag value, previous live slot...). */
      recorded: Json;
      durationMs: number;
    }
  | {
      type: "step.failed";
      stepId: string;
      attempt: number;
      error: ErrorInfo;
      durationMs: number;
      /** Set when the engine will try again after this delay. */
      retryInMs?: number;
    }
  | { type: "step.skipped"; stepId: string; reason: "condition" | "operator" | "resume-policy"; by?: Actor; note?: string }
  | { type: "run.paused"; reason: PauseReason; stepId?: string; message: string }
  | { type: "run.decision"; decision: Decision; stepId?: string; by: Actor; note?: string }
  | { type: "gate.approved"; stepId: string; by: Actor; note?: string }
  | { type: "run.interrupted"; signal: string; stepId?: string }
  | { type: "abort.requested"; by: Actor; reason?: string }
  | { type: "undo.started"; stepId: string; attempt: number }
  /** Action-owned state saved mid-undo (what a swap back must not repeat), given to a resumed undo. */
  | { type: "undo.checkpoint"; stepId: string; attempt: number; data: Json }
  | { type: "undo.succeeded"; stepId: string; attempt: number; durationMs: number }
  | { type: "undo.failed"; stepId: string; attempt: number; error: ErrorInfo; durationMs: number }
  | { type: "undo.skipped"; stepId: string; reason: UndoSkipReason; by?: Actor }
  | { type: "lease.forced"; environment: string; by: Actor; previousHolder?: string }
  | { type: "run.resumed"; by: Actor; playbookChanged?: boolean }
  | { type: "run.finished"; outcome: RunOutcome; error?: ErrorInfo };

export type RunEventType = RunEventBody["type"];

/** An event as stored: its body plus position and time. `seq` starts at 1 and has no gaps. */
export type RunEvent = RunEventBody & { runId: string; seq: number; at: string };

export type EventOf<T extends RunEventType> = Extract<RunEvent, { type: T }>;
