/**
 * The library API of the `cutover` package (`import { startRun } from "cutover"`): the functions the CLI is a
 * thin shell over (src/api/), the run state they return, and the contracts an action or a provider is written
 * against (src/core/). Everything else is internal and may change without notice.
 */

// Runs: start, continue, decide, drive (src/api/run.ts); the session they return (src/api/session.ts).
export { startRun, continueRun, decide, drive, type StartOptions, type ContinueOptions } from "./api/run.js";
export { Session, CUTOVER_VERSION, type SessionOptions } from "./api/session.js";
// Looking at runs without changing them.
export {
  readRun,
  listRuns,
  listRunOverviews,
  planPlaybook,
  abortPreview,
  runSummaryLine,
  type LocateOptions,
  type RunOverview,
  type PlanEntry,
  type AbortPreview,
  type UndoKind,
} from "./api/inspect.js";
export { watchRun, type WatchOptions } from "./api/watch.js";
export { unlock } from "./api/unlock.js";
export type { RunState, RunStatus, StepState, StepStatus } from "./engine/reducer.js";
export type { RunEvent, RunEventType, Decision } from "./engine/events.js";
export type { LoadedPlaybook } from "./playbook/validate.js";

// Contracts (src/core/): errors and exit codes, actions, providers, capabilities, stores.
export {
  CutoverError,
  PlaybookInvalidError,
  ErrorCode,
  ExitCode,
  isCutoverError,
  exitCodeFor,
  type Problem,
} from "./core/errors.js";
export type { Json } from "./core/json.js";
export {
  defineAction,
  ActionFailure,
  type ActionDefinition,
  type ActionContext,
  type ActionResult,
  type UndoContext,
} from "./core/action.js";
export type { ProviderDefinition, ProviderContext } from "./core/provider.js";
// Capability tokens (`capabilities.Flags`, ...): a namespace, since `RunState` is also the run state's type.
export * as capabilities from "./core/capabilities.js";
export type { CapabilityToken } from "./core/capabilities.js";
export type { RunStore, LeaseInfo, RunSummary } from "./core/run-store.js";
export type { FlagStore, FlagValue } from "./core/flag-store.js";
