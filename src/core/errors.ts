/**
 * Typed errors with stable codes. Every error cutover raises on purpose is a
 * CutoverError; the CLI has one printer (src/cli/print-error.ts) that maps
 * `code` to an exit code and prints a stack only with --verbose.
 *
 * Check errors with `isCutoverError(e, code)` (by name and code), never with
 * instanceof: errors cross module copies and worker boundaries.
 */

/** Exit codes of the command-line contract (docs/design.md). */
export const ExitCode = {
  ok: 0,
  failed: 1,
  invalid: 2,
  paused: 3,
  locked: 4,
  /** Stopped where `--until`/`--only` asked, resumable: the stage did its share, the release is not done. */
  stopped: 10,
  interrupted: 130,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** Stable error codes. Tests, JSON output and docs rely on these strings. */
export const ErrorCode = {
  /** The playbook failed parsing, schema or reference validation. */
  PlaybookInvalid: "PLAYBOOK_INVALID",
  /** A command-line usage problem (unknown run, bad flag value). */
  Usage: "USAGE",
  /** Another holder has the environment's lease. */
  Locked: "ENV_LOCKED",
  /** Our lease was taken over (fencing token is stale); we must stop writing. */
  LeaseLost: "LEASE_LOST",
  /** Optimistic concurrency: someone appended sequence n before us. */
  JournalConflict: "JOURNAL_CONFLICT",
  /** The journal on disk is damaged beyond a torn last line. */
  JournalCorrupt: "JOURNAL_CORRUPT",
  /** No run with that id. */
  RunNotFound: "RUN_NOT_FOUND",
  /** The run is in a state where that command makes no sense (e.g. approve a finished run). */
  RunState: "RUN_STATE",
  /** The playbook changed since the run started. */
  PlaybookChanged: "PLAYBOOK_CHANGED",
  /** A step failed (the action said no, or it errored out of retries). */
  StepFailed: "STEP_FAILED",
  /** A step exceeded its timeout. */
  StepTimeout: "STEP_TIMEOUT",
  /** The operation was cancelled through its AbortSignal. */
  Cancelled: "CANCELLED",
  /** A provider's remote service refused or failed (HTTP status, SQL error...). */
  Provider: "PROVIDER_ERROR",
  /** Configuration of an environment/provider is wrong. */
  Config: "CONFIG_INVALID",
  /** A step's journaled record or checkpoint does not have the shape its action declares. */
  JournalRecord: "JOURNAL_RECORD_INVALID",
  /** An expression could not be evaluated at run time. */
  Expression: "EXPRESSION_ERROR",
  /** Anything we did not anticipate: a bug. */
  Internal: "INTERNAL",
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** One located problem in a playbook (or any input file). */
export interface Problem {
  file: string;
  line: number;
  column: number;
  /** Field path, e.g. `steps[2].retry.maxRetries`. */
  path: string;
  message: string;
}

export interface CutoverErrorOptions {
  cause?: unknown;
  /** What the user can do about it; printed on its own line. */
  hint?: string;
  /** Structured details for JSON output. Must never hold secrets. */
  details?: Record<string, unknown>;
  /** Whether the engine may retry the operation that raised it. */
  retryable?: boolean;
}

export class CutoverError extends Error {
  override readonly name = "CutoverError";
  readonly code: ErrorCode;
  readonly hint?: string;
  readonly details?: Record<string, unknown>;
  readonly retryable: boolean;

  constructor(code: ErrorCode, message: string, options: CutoverErrorOptions = {}) {
    super(message, options.cause !== undefined ? { cause: options.cause } : undefined);
    this.code = code;
    this.hint = options.hint;
    this.details = options.details;
    this.retryable = options.retryable ?? false;
  }
}

/** A playbook validation failure carries every problem found, not just the first. */
export class PlaybookInvalidError extends CutoverError {
  readonly problems: Problem[];
  constructor(problems: Problem[], hint?: string) {
    super(ErrorCode.PlaybookInvalid, formatProblems(problems), { hint, details: { problems } });
    this.problems = problems;
  }
}

function formatProblems(problems: Problem[]): string {
  const n = problems.length;
  const lines = problems.map((p) => `${p.file}:${p.line}:${p.column}: ${p.path ? p.path + ": " : ""}${p.message}`);
  return `${n} problem${n === 1 ? "" : "s"} in the playbook:\n` + lines.map((l) => "  " + l).join("\n");
}

export function isCutoverError(e: unknown, code?: ErrorCode): e is CutoverError {
  return (
    typeof e === "object" &&
    e !== null &&
    (e as { name?: unknown }).name === "CutoverError" &&
    (code === undefined || (e as { code?: unknown }).code === code)
  );
}

/** The exit code a CLI command ends with when `e` escapes it. */
export function exitCodeFor(e: unknown): ExitCode {
  if (!isCutoverError(e)) return ExitCode.failed;
  switch (e.code) {
    case ErrorCode.PlaybookInvalid:
    case ErrorCode.Usage:
    case ErrorCode.RunNotFound:
    case ErrorCode.PlaybookChanged:
    case ErrorCode.Config:
    case ErrorCode.RunState:
      return ExitCode.invalid;
    case ErrorCode.Locked:
      return ExitCode.locked;
    case ErrorCode.Cancelled:
      return ExitCode.interrupted;
    default:
      return ExitCode.failed;
  }
}

/** Normalise anything thrown into `{code, message}` for journal events (no stacks, no secrets). */
export function toErrorInfo(e: unknown): { code: string; message: string; retryable: boolean; hint?: string } {
  if (isCutoverError(e))
    return { code: e.code, message: e.message, retryable: e.retryable, ...(e.hint ? { hint: e.hint } : {}) };
  if (e instanceof Error) {
    if (e.name === "AbortError") return { code: ErrorCode.Cancelled, message: e.message, retryable: false };
    return { code: ErrorCode.Internal, message: e.message, retryable: true };
  }
  return { code: ErrorCode.Internal, message: String(e), retryable: true };
}
