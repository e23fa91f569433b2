/**
 * `--until <step>` and `--only <step>` (docs/operations.md, "Runs split across pipeline stages"):
 * which members a drive may start, checked before anything acts. A step that cannot be reached
 * (unknown, or turned off by a `when` that reads only params) is refused with where it is in the
 * playbook; so is `--only` of a step whose earlier steps have not run, or that already ran.
 */
import { CutoverError, ErrorCode } from "../core/errors.js";
import type { Json } from "../core/json.js";
import type { DriveLimit } from "../engine/runner.js";
import { buildPlan, plannedSteps } from "../engine/plan.js";
import type { PlannedStep } from "../engine/events.js";
import type { RunState } from "../engine/reducer.js";
import { resolveCondition } from "../engine/resolve.js";
import type { Scope } from "../playbook/expressions.js";
import type { StepSpec } from "../playbook/schema.js";
import type { Path } from "../playbook/source.js";
import { isStaticallyKnown } from "../playbook/static-values.js";
import type { LoadedPlaybook } from "../playbook/validate.js";

export type StopMode = "until" | "only";
type Params = { all: Record<string, Json>; secretNames: string[] };

/** A checked stop point: the members the drive may start; `limit(runId)` gives the runner its DriveLimit. */
export interface StopPoint {
  mode: StopMode;
  stepId: string;
  members: Set<string>;
  limit(runId: string): DriveLimit;
}

interface Found {
  spec: StepSpec;
  path: Path;
  /** The step and the groups around it, innermost last, each with its path. */
  chain: { spec: StepSpec; path: Path }[];
}

function find(steps: StepSpec[], id: string, at: Path = ["steps"], chain: Found["chain"] = []): Found | undefined {
  for (let i = 0; i < steps.length; i++) {
    const spec = steps[i]!;
    const path = [...at, i];
    const here = [...chain, { spec, path }];
    if (spec.id === id) return { spec, path, chain: here };
    if (spec.steps) {
      const inner = find(spec.steps, id, [...path, "steps"], here);
      if (inner) return inner;
    }
  }
  return undefined;
}

function located(loaded: LoadedPlaybook, path: Path): string {
  const { line, column } = loaded.source.locate(path);
  return `${loaded.file}:${line}:${column}`;
}

/**
 * Check `--<mode> <target>` against the playbook (and, when continuing, the run's journaled state),
 * before any lease is taken. `target` is a step id, a group id, or one matrix member (`deploy[eastus]`).
 */
export function stopPoint(
  loaded: LoadedPlaybook,
  params: Params,
  mode: StopMode,
  target: string,
  state?: RunState,
): StopPoint {
  const flag = `--${mode} ${target}`;
  const planned = plannedSteps(buildPlan(loaded.playbook.steps, params.all));
  const memberOnly = planned.find((m) => m.id === target && m.id !== m.stepId);
  const found = find(loaded.playbook.steps, memberOnly ? memberOnly.stepId : target);
  if (!found) {
    throw new CutoverError(
      ErrorCode.Usage,
      `${flag}: ${located(loaded, ["steps"])}: the playbook has no step ${JSON.stringify(target)}`,
      { hint: `steps, in order: ${planned.map((m) => m.id).join(", ")}` },
    );
  }
  assertNotSwitchedOff(loaded, params, found, flag);
  const inTarget = (m: PlannedStep): boolean => (memberOnly ? m.id === target : leafIds(found.spec).has(m.stepId));
  const targets = planned.filter(inTarget);
  const last = planned.lastIndexOf(targets.at(-1)!);
  const first = planned.indexOf(targets[0]!);
  const done = (m: PlannedStep) => ["succeeded", "skipped"].includes(state?.steps[m.id]?.status ?? "pending");
  if (state && targets.every(done)) {
    const next = nextDue(loaded, state);
    throw new CutoverError(ErrorCode.RunState, `${flag}: step ${target} of run ${state.runId} already ran`, {
      hint: next
        ? `the next step to run is ${next}: cutover step ${state.runId} ${next}`
        : `every step ran; see: cutover status ${state.runId}`,
    });
  }
  // A failed step waits for a person's decision: resuming it would only pause there again.
  const failed = state
    ? targets.find((m) => state.steps[m.id]?.status === "failed" && !state.pendingDecision)
    : undefined;
  if (state && failed && mode === "only") {
    throw new CutoverError(ErrorCode.RunState, `${flag}: step ${failed.id} of run ${state.runId} failed`, {
      hint: `run it again and stop there: cutover retry ${state.runId} ${failed.id} --until ${target}`,
    });
  }
  // Both end at the target's last member: for --only, the steps before it are done or switched off by their
  // `when`, so the runner passes over them (journaling those skips) and runs the target alone.
  if (mode === "only") {
    const before = planned
      .slice(0, first)
      .filter((m) => !passedOver(loaded, params, m, state) && state?.steps[m.id]?.status !== "failed");
    if (before.length) {
      throw new CutoverError(
        ErrorCode.RunState,
        `${flag}: steps run in order, and ${before.map((m) => m.id).join(", ")} before ${target} ` +
          `${before.length === 1 ? "has" : "have"} not run yet`,
        {
          hint:
            `run up to ${target} with: cutover resume ${state?.runId ?? "<run-id>"} --until ${target}; or the ` +
            `next step alone: cutover step ${state?.runId ?? "<run-id>"} ${before[0]!.id}`,
        },
      );
    }
  }
  const ids = new Set(planned.slice(0, last + 1).map((m) => m.id));
  return {
    mode,
    stepId: target,
    members: ids,
    limit: (runId) => ({
      members: ids,
      // The journal names planned members only: a group's or a matrix step's last member stands for it.
      stepId: planned[last]!.id,
      message:
        `stopped after ${target} as asked (${flag}); continue with: cutover resume ${runId}` +
        (mode === "only" ? ` (or one step: cutover step ${runId} <step>)` : ""),
    }),
  };
}

/** The stop point of `resume --until`/`--only` (at most one of them), checked against the run's state. */
export function continueStop(
  loaded: LoadedPlaybook,
  params: Params,
  state: RunState,
  opts: { until?: string; only?: string },
): StopPoint | undefined {
  if (opts.until !== undefined && opts.only !== undefined)
    throw new CutoverError(ErrorCode.Usage, "--until and --only together: give one", {
      hint: "--until <step> runs up to and including it; --only <step> runs that one step",
    });
  if (opts.until !== undefined) return stopPoint(loaded, params, "until", opts.until, state);
  if (opts.only !== undefined) return stopPoint(loaded, params, "only", opts.only, state);
  return undefined;
}

function leafIds(spec: StepSpec, into = new Set<string>()): Set<string> {
  if (spec.steps) for (const c of spec.steps) leafIds(c, into);
  else into.add(spec.id);
  return into;
}

/**
 * A `when` on the step or a group around it that reads only params is already known: false means the step
 * would be skipped, so stopping "after" it names nothing that runs. One that reads outputs is judged when run.
 * Returns the `when` that switches it off, with its path.
 */
function switchedOff(params: Params, found: Found): { spec: StepSpec; path: Path } | undefined {
  const scope: Scope = { params: params.all, steps: {}, env: {}, secrets: () => undefined, run: { id: "" } };
  for (const link of found.chain) {
    const when = link.spec.when;
    if (when === undefined || !isStaticallyKnown(when, params.secretNames)) continue;
    try {
      if (!resolveCondition(when, scope)) return link;
    } catch {
      // the run reports an unresolvable condition at the step itself
    }
  }
  return undefined;
}

function assertNotSwitchedOff(loaded: LoadedPlaybook, params: Params, found: Found, flag: string): void {
  const off = switchedOff(params, found);
  if (!off) return;
  const what = off.spec.id === found.spec.id ? "its" : `its group ${off.spec.id}'s`;
  throw new CutoverError(
    ErrorCode.Usage,
    `${flag}: ${located(loaded, [...off.path, "when"])}: step ${found.spec.id} would be skipped: ${what} when ` +
      `(${JSON.stringify(off.spec.when)}) is false with these params`,
    { hint: "name a step that runs, or give the params that turn it on (--param name=value)" },
  );
}

/** Whether the run will pass over this member: done already, or switched off by a `when` known from params. */
function passedOver(loaded: LoadedPlaybook, params: Params, m: PlannedStep, state?: RunState): boolean {
  const status = state?.steps[m.id]?.status ?? "pending";
  if (status === "succeeded" || status === "skipped") return true;
  if (status !== "pending") return false;
  const found = find(loaded.playbook.steps, m.stepId);
  return found !== undefined && switchedOff(params, found) !== undefined;
}

/** The next member the run will run (for "next:" lines and hints), if any. */
export function nextDue(loaded: LoadedPlaybook, state: RunState): string | undefined {
  const params = { all: state.params, secretNames: state.secretParams };
  return plannedSteps(buildPlan(loaded.playbook.steps, state.params)).find((m) => !passedOver(loaded, params, m, state))
    ?.id;
}
