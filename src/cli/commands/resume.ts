/** `cutover resume <run-id>`: continue an interrupted or approved run from its journal. */
import type { Command } from "commander";
import { continueRun } from "../../api/run.js";
import { continueOptions, onFailureOption, withIO, type ContinueFlags } from "../shared.js";
import { makeRenderer } from "../render/renderer.js";
import { driveSession } from "../session-runner.js";

export function register(program: Command): void {
  continueOptions(
    program
      .command("resume")
      .description("continue a run from where its journal says it stopped (after a crash, Ctrl-C, or an approval)")
      .argument("<run-id>", "the run to continue")
      .addOption(onFailureOption())
      .option("--force", "continue a run that is no longer its environment's latest (needs --reason; journaled)")
      .option("--reason <text>", "why --force (journaled)"),
  ).action(
    withIO(
      async (
        io,
        runId: string,
        opts: ContinueFlags & { onFailure?: "pause" | "abort" | "continue"; force?: boolean; reason?: string },
      ) => {
        const renderer = makeRenderer(io);
        const { session } = await continueRun(runId, {
          stateDir: io.stateDir,
          playbook: opts.playbook,
          allowChangedPlaybook: opts.allowChangedPlaybook,
          onFailure: opts.onFailure,
          force: opts.force,
          reason: opts.reason,
          onEvent: (e, s) => renderer.event(e, s),
          onLog: (id, level, m, f) => renderer.log(id, level, m, f),
        });
        if (!io.json) io.err(io.c.dim(`resuming run ${runId} (${session.journal.state.status})`));
        return driveSession(io, renderer, session);
      },
    ),
  );
}
