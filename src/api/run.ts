/**
 * The library API behind `cutover run | resume | retry | skip | approve |
 * abort`. Each validates everything first, then opens a Session (lease,
 * journal), records the operator's intent as an event, and drives the run
 * to its next resting point. The CLI is a thin shell over these.
 */
import path from "node:path";
import { buildPlan, plannedSteps } from "../engine/plan.js";
import { gateExpiry, isExpired } from "../engine/gate.js";
import { Journal } from "../engine/journal.js";
import type { Decision } from "../engine/events.js";
import { isFinished, type RunState } from "../engine/reducer.js";
import { CutoverError, ErrorCode } from "../core/errors.js";
import { resolveParams, type ResolvedParams } from "../playbook/params.js";
import { assertMatricesFit } from "../playbook/check-matrix.js";
import { loadPlaybook, type LoadedPlaybook } from "../playbook/validate.js";
import { currentActor, registries } from "../runtime.js";
import { CUTOVER_VERSION, newRunId, Session, type SessionOptions } from "./session.js";
import { listRuns, openStore, readRun } from "./inspect.js";
import { admit, assertLatestOrForced, recordSupersede } from "./admission.js";
import { assertRunnable } from "./preflight.js";
import { requiredRun } from "./linked-runs.js";
import { guardAbort } from "./abort-guard.js";
import { leafSpecs } from "../engine/plan.js";
import { continueStop, stopPoint, type StopPoint } from "./stop-point.js";

export interface StartOptions extends SessionOptions {
  params?: Record<string, string>;
  /** Gate step ids approved in advance (journaled as approvals). */
  approve?: string[];
  runId?: string;
  /** The open run of the environment this run replaces (`run --supersede`): journaled in both. */
  supersede?: string;
  /** Stop after this step (`run --until`), the run left paused (reason "until") for `resume` to continue. */
  until?: string;
}

/** Validate, lease, journal `run.started`; returns a session whose `drive()` runs it. */
export async function startRun(file: string, opts: StartOptions): Promise<Session> {
  const loaded = loadPlaybook(file, registries);
  const env = opts.env ?? process.env;
  const params = resolveParams(loaded.playbook.params, opts.params ?? {}, env);
  assertMatricesFit(loaded.source, loaded.playbook.steps, params.all);
  const steps = plannedSteps(buildPlan(loaded.playbook.steps, params.all));
  const known = new Set(steps.map((s) => s.stepId));
  for (const id of opts.approve ?? []) {
    if (!known.has(id)) throw new CutoverError(ErrorCode.Usage, `--approve ${id}: the playbook has no step ${id}`);
  }
  const stop = opts.until === undefined ? undefined : stopPoint(loaded, params, "until", opts.until);
  // Before the lease: everything the run needs is there, and the environment has no open run (docs/operations.md).
  assertRunnable(loaded, params.all, env);
  const link = await requiredRun(loaded, file, { stateDir: opts.stateDir, env }); // `requires:` (docs/operations.md)
  const located = await openStore({ stateDir: opts.stateDir, playbook: file, env });
  await admit(located.store, loaded.environment, file, opts.supersede).finally(() => located.close());
  const runId = opts.runId ?? newRunId();
  const actor = currentActor(env);
  const session = await Session.open(
    loaded,
    opts,
    params,
    async (store, fence) => {
      // Again under the lease: another `run` may have been admitted meanwhile.
      const admission = await admit(store, loaded.environment, file, opts.supersede);
      const journal = await Journal.create(
        store,
        runId,
        {
          type: "run.started",
          playbook: { name: loaded.playbook.name, file: path.resolve(file), hash: loaded.hash },
          environment: loaded.environment,
          params: params.journaled,
          secretParams: params.secretNames,
          steps,
          by: actor,
          cutoverVersion: CUTOVER_VERSION,
        },
        fence,
        [admission.admitted, ...(link ? [link] : [])],
      );
      if (admission.superseded)
        await recordSupersede(store, fence, admission.superseded, runId, actor, admission.admitted.leftChanged ?? []);
      return journal;
    },
    runId,
  );
  session.runner.limitTo(stop?.limit(runId));
  for (const id of opts.approve ?? []) {
    for (const s of steps.filter((x) => x.stepId === id)) {
      await session.journal.append({
        type: "gate.approved",
        stepId: s.id,
        by: actor,
        note: "approved in advance with --approve",
      });
    }
  }
  return session;
}

export interface ContinueOptions extends SessionOptions {
  /** The playbook file; default: the one the run started from. */
  playbook?: string;
  /** Continue although the playbook changed since the run started. */
  allowChangedPlaybook?: boolean;
  /** Roll back a run that already succeeded (abort only; it must be its environment's latest run). */
  rollback?: boolean;
  /** abort: undo past the run's data barriers anyway (needs `reason`; journaled). */
  acceptDataLoss?: boolean;
  /** Continue a run that is no longer its environment's latest (journaled with `reason`). */
  force?: boolean;
  /** Why (journaled): the abort's reason, or why --force. */
  reason?: string;
  /** The command, for the journal of a forced one. */
  command?: string;
  /** Stop after this step (`resume --until`), the run left paused for the next `resume`. */
  until?: string;
  /** Run only this step, which must be the next to run (`resume --only`, `cutover step`), then stop. */
  only?: string;
}

/**
 * Open an existing run for more work: checks that it can continue, that its
 * playbook is unchanged (or the change is accepted), re-reads secret params
 * from the environment, and takes the lease.
 */
export async function continueRun(
  runId: string,
  opts: ContinueOptions,
): Promise<{ session: Session; loaded: LoadedPlaybook }> {
  const { state, file } = await readRun(runId, opts);
  if (isFinished(state) && !(opts.rollback && state.status === "succeeded")) {
    throw new CutoverError(ErrorCode.RunState, `run ${runId} has already finished: ${state.status}`, {
      hint:
        state.status === "succeeded"
          ? `to undo a release that succeeded, run: cutover abort ${runId} --rollback`
          : "start a new run with `cutover run`",
    });
  }
  if (opts.rollback) await assertLatestRun(state, opts);
  const located = await openStore(opts);
  const newer = opts.rollback
    ? undefined
    : await assertLatestOrForced(located.store, state, opts.command ?? "resume", opts).finally(() => located.close());
  const loaded = loadPlaybook(file, registries);
  const changed = loaded.hash !== state.playbook.hash;
  if (changed && !opts.allowChangedPlaybook) {
    throw new CutoverError(
      ErrorCode.PlaybookChanged,
      `the playbook ${file} changed since run ${runId} started (sha256 ${state.playbook.hash.slice(0, 12)} then, ` +
        `${loaded.hash.slice(0, 12)} now)`,
      {
        hint:
          "restore the original file, or pass --allow-changed-playbook to continue with the new one (the change is " +
          "journaled)",
      },
    );
  }
  const env = opts.env ?? process.env;
  const params = mergeParams(state, loaded, env);
  const stopAt = (s: RunState): StopPoint | undefined => continueStop(loaded, params, s, opts);
  stopAt(state); // before the lease; again under it, on the state the journal has then
  const session = await Session.open(loaded, opts, params, (store) => Journal.open(store, runId), runId);
  try {
    session.runner.limitTo(stopAt(session.journal.state)?.limit(runId));
  } catch (e) {
    await session.close();
    throw e;
  }
  if (newer) {
    const by = currentActor(env);
    await session.journal.append({
      type: "run.forced",
      by,
      command: opts.command ?? "resume",
      newerRun: newer,
      reason: opts.reason,
    });
  }
  if (changed) {
    // The new plan's steps join the run (the journal names every step it may hold events of).
    const steps = plannedSteps(buildPlan(loaded.playbook.steps, state.params));
    await session.journal.append({ type: "run.resumed", by: currentActor(env), playbookChanged: true, steps });
  }
  return { session, loaded };
}

/** Undoing an older release after a newer one changed the same environment would undo the wrong things. */
async function assertLatestRun(state: RunState, opts: ContinueOptions): Promise<void> {
  const [latest] = await listRuns({
    stateDir: opts.stateDir,
    playbook: opts.playbook,
    environment: state.environment,
    limit: 1,
  });
  if (latest && latest.runId !== state.runId) {
    throw new CutoverError(
      ErrorCode.RunState,
      `run ${state.runId} is not the latest run of environment ${state.environment} (${latest.runId} is)`,
      {
        hint: "roll back the latest run first, or release the previous version with a new run",
      },
    );
  }
}

function mergeParams(state: RunState, loaded: LoadedPlaybook, env: NodeJS.ProcessEnv): ResolvedParams {
  const all = { ...state.params };
  for (const name of state.secretParams) {
    const v = env[`CUTOVER_PARAM_${name.toUpperCase()}`];
    if (v === undefined) {
      throw new CutoverError(
        ErrorCode.Usage,
        `run ${state.runId} needs the secret param ${name} again (secrets are never journaled)`,
        { hint: `export CUTOVER_PARAM_${name.toUpperCase()}=...` },
      );
    }
    all[name] = v;
  }
  void loaded;
  return { all, journaled: state.params, secretNames: state.secretParams };
}

/** Record an operator's decision on a paused run, then drive it. */
export async function decide(
  runId: string,
  decision: Decision | "approve",
  opts: ContinueOptions & { stepId?: string; note?: string; noContinue?: boolean; ahead?: boolean },
): Promise<Session> {
  const { session, loaded } = await continueRun(runId, { command: decision, ...opts });
  try {
    const s = session.journal.state;
    const actor = currentActor(opts.env ?? process.env);
    const stepId = opts.stepId ?? s.pause?.stepId;
    if (decision === "abort") {
      await guardAbort(session, loaded, opts); // data barriers and linked runs (api/abort-guard.ts)
      // A second abort after a failed undo simply drives the abort again: the failed undo is retried.
      if (!s.abortRequested) await session.journal.append({ type: "abort.requested", by: actor, reason: opts.reason });
      return session;
    }
    if (!stepId)
      throw new CutoverError(ErrorCode.RunState, `run ${runId} is not paused at a step; name one`, {
        hint: `cutover ${decision} ${runId} <step-id>`,
      });
    const step = s.steps[stepId];
    if (!step)
      throw new CutoverError(ErrorCode.Usage, `run ${runId} has no step ${stepId}`, {
        hint: `steps: ${s.order.join(", ")}`,
      });
    if (decision === "approve") {
      if (step.approvedBy)
        throw new CutoverError(ErrorCode.RunState, `step ${stepId} was already approved by ${step.approvedBy.user}`);
      const waiting = s.status === "paused" && s.pause?.reason === "approval" && s.pause.stepId === stepId;
      if (!waiting) {
        // Approving a gate the run has not reached yet would let it pass in 0 ms later: only on purpose.
        if (leafSpecs(buildPlan(loaded.playbook.steps, s.params)).get(step.stepId)?.action !== "gate.approval") {
          throw new CutoverError(
            ErrorCode.Usage,
            `step ${stepId} of run ${runId} is not a gate (gate.approval); there is nothing to approve`,
          );
        }
        if (!opts.ahead) {
          throw new CutoverError(
            ErrorCode.RunState,
            `run ${runId} is not waiting at gate ${stepId} (it is ` +
              `${s.pause?.stepId ? `${s.status} at step ${s.pause.stepId}` : s.status})`,
            {
              hint:
                `approve it when the run waits there; or approve it ahead, on purpose: cutover approve ${runId} ` +
                `${stepId} --ahead (journaled as a pre-approval)`,
            },
          );
        }
        await session.journal.append({ type: "gate.preapproved", stepId, by: actor, note: opts.note });
        return session;
      }
      const expiry = gateExpiry(s, stepId);
      if (isExpired(expiry)) {
        throw new CutoverError(
          ErrorCode.RunState,
          `gate ${stepId} expired at ${new Date(expiry.expiresAt).toISOString()}; it can no longer be approved`,
          {
            hint: `cutover resume ${runId} applies its onExpiry (${expiry.onExpiry}); or abort the run`,
          },
        );
      }
      await session.journal.append({ type: "gate.approved", stepId, by: actor, note: opts.note });
    } else {
      const ok =
        decision === "skip"
          ? step.status !== "succeeded" && step.status !== "skipped"
          : step.status === "failed" || step.status === "running" || s.abortRequested;
      if (!ok && !(decision === "skip" && s.abortRequested)) {
        throw new CutoverError(
          ErrorCode.RunState,
          `step ${stepId} is ${step.status}; ${decision} applies to a failed or interrupted step`,
        );
      }
      await session.journal.append({ type: "run.decision", decision, stepId, by: actor, note: opts.note });
    }
    return session;
  } catch (e) {
    await session.close();
    throw e;
  }
}

export async function drive(session: Session): Promise<RunState> {
  try {
    return await session.drive();
  } finally {
    await session.close();
  }
}
