/**
 * `cutover approve | retry | skip | abort [run-id] [step-id]`:
 * record a person's decision (journaled, with who) and continue. Without a
 * run id: the environment's open run, named in the output (cli/shared.ts targetRun).
 */
import type { Command } from "commander";
import { decide } from "../../api/run.js";
import { ExitCode } from "../../core/errors.js";
import { continueOptions, targetRun, withIO, type ContinueFlags } from "../shared.js";
import { makeRenderer } from "../render/renderer.js";
import { driveSession } from "../session-runner.js";

const VERBS = {
  approve: "approve a gate the run is waiting at, then continue the run",
  retry: "run a failed or interrupted step again (a fresh retry budget), then continue",
  skip: "mark a failed or interrupted step skipped (or, during an abort, leave its undo undone), then continue",
  abort: "abort the run: undo completed steps in reverse order, each journaled and resumable",
} as const;

export function register(program: Command): void {
  for (const verb of Object.keys(VERBS) as (keyof typeof VERBS)[]) {
    const cmd = program
      .command(verb)
      .description(VERBS[verb])
      .argument("[run-id]", "the run (default: the environment's open run)");
    if (verb !== "abort") cmd.argument("[step-id]", "the step (default: the one the run is paused at)");
    if (verb === "abort")
      cmd
        .option("--reason <text>", "why (journaled)")
        .option("--rollback", "undo a run that already succeeded (only the environment's latest run)")
        .option(
          "--accept-data-loss",
          "undo past the run's data barriers, losing what users wrote since (needs --reason)",
        );
    else cmd.option("--note <text>", "a note for the journal").option("--reason <text>", "why --force (journaled)");
    cmd.option("--force", "act on a run that is no longer its environment's latest (needs --reason; journaled)");
    if (verb !== "abort")
      cmd.option("--until <step-id>", "then continue only up to and including this step, left resumable (exit 10)");
    if (verb === "approve") {
      cmd.option("--no-continue", "only record the approval; continue later with `cutover resume`");
      cmd.option(
        "--ahead",
        "approve a gate the run is not waiting at yet (journaled as a pre-approval, shown by status)",
      );
    }
    continueOptions(cmd).action(
      withIO(async (io, first: string | undefined, ...rest: unknown[]) => {
        const second = verb === "abort" ? undefined : (rest[0] as string | undefined);
        const opts = (verb === "abort" ? rest[0] : rest[1]) as ContinueFlags & {
          note?: string;
          reason?: string;
          continue?: boolean;
          rollback?: boolean;
          acceptDataLoss?: boolean;
          force?: boolean;
          ahead?: boolean;
          until?: string;
        };
        const { runId, stepId, chosen } = await targetRun(io, {
          first,
          second,
          stepArg: verb !== "abort",
          playbook: opts.playbook,
          finished: verb === "abort" && opts.rollback,
        });
        const renderer = makeRenderer(io);
        const session = await decide(runId, verb, {
          stateDir: io.stateDir,
          playbook: opts.playbook,
          allowChangedPlaybook: opts.allowChangedPlaybook,
          stepId,
          note: opts.note,
          reason: opts.reason,
          rollback: opts.rollback,
          acceptDataLoss: opts.acceptDataLoss,
          force: opts.force,
          ahead: opts.ahead,
          until: opts.until,
          onEvent: (e, s) => renderer.event(e, s),
          onLog: (id, level, m, f) => renderer.log(id, level, m, f),
        });
        const s = session.journal.state;
        const atThisGate =
          s.status === "paused" && s.pause?.reason === "approval" && s.pause.stepId === (stepId ?? s.pause.stepId);
        if (verb === "approve" && opts.ahead && !atThisGate) {
          // A pre-approval only records; the run continues when someone resumes it.
          await session.close();
          if (!io.json)
            io.err(`pre-approval of ${stepId ?? "the gate"} recorded (status shows it); the run is ${s.status}`);
          return ExitCode.ok;
        }
        if (opts.continue === false) {
          await session.close();
          if (!io.json) io.err(`approval recorded; continue with: cutover resume ${runId}`);
          return ExitCode.paused;
        }
        // A decision inside an abort a person asked for answers as the abort does: is the environment back?
        const aborting = verb === "abort" || (verb !== "approve" && s.abortRequested !== undefined);
        return driveSession(io, renderer, session, { abort: aborting, stop: { until: opts.until }, chosen });
      }),
    );
  }
}
