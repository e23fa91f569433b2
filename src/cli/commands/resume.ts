/**
 * `cutover resume [run-id] [--until <step> | --only <step>]`: continue a run from its journal, to the end or to a
 * stop point (a pipeline stage's share, docs/operations.md); `cutover step [run-id] <step>` is `resume --only`.
 */
import type { Command } from "commander";
import { continueRun } from "../../api/run.js";
import { continueOptions, onFailureOption, targetRun, withIO, type ContinueFlags } from "../shared.js";
import type { CliIO } from "../io.js";
import { makeRenderer } from "../render/renderer.js";
import { driveSession } from "../session-runner.js";
import type { ExitCode } from "../../core/errors.js";

type ResumeFlags = ContinueFlags & {
  onFailure?: "pause" | "abort" | "continue";
  force?: boolean;
  reason?: string;
  until?: string;
  only?: string;
};

function resumeOptions(cmd: Command): Command {
  return continueOptions(
    cmd
      .addOption(onFailureOption())
      .option("--force", "continue a run that is no longer its environment's latest (needs --reason; journaled)")
      .option("--reason <text>", "why --force (journaled)"),
  );
}

export function register(program: Command): void {
  resumeOptions(
    program
      .command("resume")
      .description(
        "continue a run from where its journal says it stopped (after a crash, Ctrl-C, an approval or --until), " +
          "to the end or to --until/--only",
      )
      .argument("[run-id]", "the run to continue (default: the environment's open run)")
      .option("--until <step-id>", "stop after this step, the run left resumable (exit 10)")
      .option("--only <step-id>", "run only this step, the next one due, then stop resumable (exit 10)"),
  ).action(withIO(async (io, runId: string | undefined, opts: ResumeFlags) => resume(io, runId, opts)));

  resumeOptions(
    program
      .command("step")
      .description("run exactly one step of a run, the next one due, then stop resumable (resume --only)")
      .argument("<run-id-or-step>", "the run, then the step; a step alone is one of the environment's open run")
      .argument("[step-id]", "the step to run"),
  ).action(
    withIO(async (io, first: string, second: string | undefined, opts: ResumeFlags) => {
      const runId = second === undefined ? undefined : first;
      return resume(io, runId, { ...opts, only: second ?? first });
    }),
  );
}

async function resume(io: CliIO, runIdArg: string | undefined, opts: ResumeFlags): Promise<ExitCode> {
  const { runId, chosen } = await targetRun(io, { first: runIdArg, stepArg: false, playbook: opts.playbook });
  const renderer = makeRenderer(io);
  const { session } = await continueRun(runId, {
    stateDir: io.stateDir,
    playbook: opts.playbook,
    allowChangedPlaybook: opts.allowChangedPlaybook,
    onFailure: opts.onFailure,
    force: opts.force,
    reason: opts.reason,
    until: opts.until,
    only: opts.only,
    onEvent: (e, s) => renderer.event(e, s),
    onLog: (id, level, m, f) => renderer.log(id, level, m, f),
  });
  if (!io.json) io.err(io.c.dim(`resuming run ${runId} (${session.journal.state.status})`));
  return driveSession(io, renderer, session, { stop: { until: opts.until, only: opts.only }, chosen });
}
