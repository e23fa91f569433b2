/**
 * Shared by run, resume, retry, skip, approve and abort: render the events,
 * handle SIGINT/SIGTERM (first: finish the current step and checkpoint;
 * second: cancel it), drive, and map the resting state to an exit code.
 */
import type { Session } from "../api/session.js";
import type { RunState } from "../engine/reducer.js";
import { ExitCode } from "../core/errors.js";
import type { CliIO } from "./io.js";
import type { Renderer } from "./render/renderer.js";
import { decide } from "../api/run.js";
import { askDecision, canPrompt, followElsewhere, moveWatch } from "./prompt.js";
import { runSummaryLine } from "../api/inspect.js";
import { leftInPlace, type LeftInPlace } from "../api/abort-outcome.js";
import { nextDue } from "../api/stop-point.js";
import type { LoadedPlaybook } from "../playbook/validate.js";
import { exitCodeForState } from "./exit-code.js";

/**
 * `abort`: the command asked for an abort (or continues one a person asked for), so it answers whether the
 * environment is back where it was, not whether the release succeeded (docs/design.md, "Exit codes").
 */
export interface DriveOptions {
  abort?: boolean;
  /** The command's `--until`/`--only`: a decision taken at the prompt continues to the same stop point, not past it. */
  stop?: { until?: string; only?: string };
  /** The run was not named: the environment's open run was taken (the result says so). */
  chosen?: { environment: string };
}

/** The exit code of an abort: 0 only when it completed and left nothing changed; an undo that failed is 1. */
function abortExitCode(s: RunState, left: LeftInPlace[]): ExitCode {
  if (s.status === "aborted") return left.length ? ExitCode.failed : ExitCode.ok;
  if (s.status === "paused" && s.abortRequested) return ExitCode.failed;
  return exitCodeForState(s);
}

export async function driveSession(
  io: CliIO,
  renderer: Renderer,
  first: Session,
  opts: DriveOptions = {},
): Promise<ExitCode> {
  let session = first;
  while (true) {
    let state = await driveOnce(renderer, session);
    if (state.status === "paused" && state.pause?.reason !== "until" && canPrompt(io)) {
      renderer.close(state);
      const choice = await askDecision(io, state, undefined, moveWatch(io, state, session.loaded.file));
      // Another process decided while the question was open: follow the run it drives to its next rest.
      if (choice === "moved") state = await followElsewhere(io, renderer, state, session.loaded.file);
      else if (choice !== "leave") {
        session = await decide(state.runId, choice, {
          stateDir: io.stateDir,
          playbook: session.loaded.file,
          allowChangedPlaybook: true,
          ...(choice === "abort" ? {} : opts.stop),
          onEvent: (e, s) => renderer.event(e, s),
          onLog: (id, level, m, f) => renderer.log(id, level, m, f),
        });
        continue;
      }
    }
    renderer.close(state);
    const left = opts.abort && state.abortRequested ? leftInPlace(state, session.loaded) : undefined;
    const code = left ? abortExitCode(state, left) : exitCodeForState(state);
    const line = state.status === "succeeded" ? runSummaryLine(session.loaded, state) : undefined;
    const stop = stopInfo(state, session.loaded);
    if (io.json)
      io.out(
        JSON.stringify({
          type: "result",
          runId: state.runId,
          status: state.status,
          exitCode: code,
          ...(line ? { summary: line } : {}),
          ...(stop ? { reason: "until", stoppedAfter: stop.after, next: stop.next ?? null } : {}),
          ...(left && state.status === "aborted" ? { leftInPlace: left } : {}),
          ...(opts.chosen
            ? { chosen: { environment: opts.chosen.environment, why: "the environment's open run" } }
            : {}),
        }),
      );
    else
      io.err(
        summary(io, state, session.loaded) + (line ? `\n  ${line}` : "") + (left ? abortLines(io, state, left) : ""),
      );
    return code;
  }
}

async function driveOnce(renderer: Renderer, session: Session): Promise<RunState> {
  let signals = 0;
  const onSignal = (sig: NodeJS.Signals) => {
    signals++;
    if (signals === 1) {
      session.runner.stop(sig);
      renderer.notice(`${sig}: finishing the current step, then stopping (send it again to cancel the step)`);
    } else {
      session.runner.cancelRunning(new Error(`cancelled by ${sig}`));
      renderer.notice(`${sig}: cancelling the current step`);
    }
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  let state: RunState;
  try {
    state = await session.drive();
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    await session.close();
  }
  return state;
}

/** A run stopped by --until/--only: the step it stopped after and the next one due. */
function stopInfo(s: RunState, loaded: LoadedPlaybook): { after: string; next?: string } | undefined {
  if (s.status !== "paused" || s.pause?.reason !== "until") return undefined;
  return { after: s.pause.stepId ?? "", next: nextDue(loaded, s) };
}

function abortLines(io: CliIO, s: RunState, left: LeftInPlace[]): string {
  if (s.status !== "aborted") return "";
  if (!left.length) return `\n  ${io.c.green("the environment is back where it was: every change was undone")}`;
  return `\n  ${io.c.red("left in place:")}\n${left.map((l) => `    ${l.id}: ${l.why}`).join("\n")}`;
}

function summary(io: CliIO, s: RunState, loaded: LoadedPlaybook): string {
  const c = io.c;
  const id = s.runId;
  switch (s.status) {
    case "succeeded":
      return c.green(`✔ run ${id} succeeded`);
    case "paused": {
      const p = s.pause;
      const stop = stopInfo(s, loaded);
      if (stop)
        return (
          c.cyan(`⏹ run ${id} stopped after ${stop.after} as asked; it is resumable`) +
          `\n  next: ${stop.next ? `cutover resume ${id}  |  cutover step ${id} ${stop.next}` : `cutover resume ${id}`}`
        );
      const lines = [c.yellow(`⏸ run ${id} is paused: ${p?.message ?? ""}`)];
      if (s.abortRequested)
        lines.push(
          `  retry the abort: cutover abort ${id}    leave it in place: cutover skip ` +
            `${id}${p?.stepId ? ` ${p.stepId}` : ""}`,
        );
      else if (p?.reason === "approval")
        lines.push(
          `  approve: cutover approve ${id}${p.stepId ? ` ${p.stepId}` : ""}    or abort: cutover abort ${id}`,
        );
      else lines.push(`  choose: cutover retry ${id}  |  cutover skip ${id}  |  cutover abort ${id}`);
      return lines.join("\n");
    }
    case "interrupted":
    case "running":
    case "aborting":
      return c.yellow(`■ run ${id} stopped, checkpointed; continue with: cutover resume ${id}`);
    case "aborted":
      return c.magenta(`↶ run ${id} aborted; see what was undone: cutover status ${id}`);
    default:
      return c.red(`✖ run ${id} failed: ${s.error?.message ?? ""}  (cutover status ${id})`);
  }
}
