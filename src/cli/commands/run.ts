/** `cutover run <playbook>`: validate, take the environment's lease, run to the next resting point. */
import type { Command } from "commander";
import { startRun } from "../../api/run.js";
import { parseParamArgs } from "../../playbook/params.js";
import { collect, onFailureOption, withIO } from "../shared.js";
import { makeRenderer } from "../render/renderer.js";
import { driveSession } from "../session-runner.js";
import { printPlan } from "./plan.js";

export function register(program: Command): void {
  program
    .command("run")
    .description(
      "run a playbook: validate it, take the environment's lease, execute its steps with a checkpoint at every " +
        "transition",
    )
    .argument("<playbook>", "the playbook YAML file")
    .option("-p, --param <name=value>", "a param value (repeatable); lists as a,b,c", collect, [])
    .option("--approve <step-id>", "approve a gate step in advance (repeatable; journaled)", collect, [])
    .option(
      "--supersede <run-id>",
      "start although the environment's open run <run-id> did not finish; leaves its changes in place (journaled " +
        "in both runs)",
    )
    .option(
      "--until <step-id>",
      "stop after this step, the run left paused and resumable (exit 10): a pipeline stage's share of the run",
    )
    .option("--dry-run", "validate and show what each step would do; change nothing")
    .addOption(onFailureOption())
    .action(
      withIO(
        async (
          io,
          file: string,
          opts: {
            param: string[];
            approve: string[];
            supersede?: string;
            dryRun?: boolean;
            until?: string;
            onFailure?: "pause" | "abort" | "continue";
          },
        ) => {
          const params = parseParamArgs(opts.param);
          if (opts.dryRun) return printPlan(io, file, params, true, opts.approve);
          const renderer = makeRenderer(io);
          const session = await startRun(file, {
            stateDir: io.stateDir,
            params,
            approve: opts.approve,
            supersede: opts.supersede,
            onFailure: opts.onFailure,
            until: opts.until,
            onEvent: (e, s) => renderer.event(e, s),
            onLog: (id, level, m, f) => renderer.log(id, level, m, f),
          });
          return driveSession(io, renderer, session, { stop: { until: opts.until } });
        },
      ),
    );
}
