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
import { askDecision, canPrompt } from "./prompt.js";
import { runSummaryLine } from "../api/inspect.js";

export function exitCodeForState(s: RunState): ExitCode {
  switch (s.status) {
    case "succeeded":
      return ExitCode.ok;
    case "paused":
      return ExitCode.paused;
    case "interrupted":
      return ExitCode.interrupted;
    case "running":
    case "aborting":
      // Stopped by a lost lease or an error while running: resumable.
      return ExitCode.interrupted;
    default:
      return ExitCode.failed;
  }
}

export async function driveSession(io: CliIO, renderer: Renderer, first: Session): Promise<ExitCode> {
  let session = first;
  while (true) {
    const state = await driveOnce(renderer, session);
    if (state.status === "paused" && canPrompt(io)) {
      renderer.close(state);
      const choice = await askDecision(io, state);
      if (choice !== "leave") {
        session = await decide(state.runId, choice, {
          stateDir: io.stateDir,
          playbook: session.loaded.file,
          allowChangedPlaybook: true,
          onEvent: (e, s) => renderer.event(e, s),
          onLog: (id, level, m, f) => renderer.log(id, level, m, f),
        });
        continue;
      }
    }
    renderer.close(state);
    const code = exitCodeForState(state);
    const line = state.status === "succeeded" ? runSummaryLine(session.loaded, state) : undefined;
    if (io.json)
      io.out(
        JSON.stringify({
          type: "result",
          runId: state.runId,
          status: state.status,
          exitCode: code,
          ...(line ? { summary: line } : {}),
        }),
      );
    else io.err(summary(io, state) + (line ? `\n  ${line}` : ""));
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

function summary(io: CliIO, s: RunState): string {
  const c = io.c;
  const id = s.runId;
  switch (s.status) {
    case "succeeded":
      return c.green(`✔ run ${id} succeeded`);
    case "paused": {
      const p = s.pause;
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
