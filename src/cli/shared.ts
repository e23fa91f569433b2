/** Small pieces every command shares: option helpers and the action wrapper that owns exit codes. */
import { Command, Option } from "commander";
import { ExitCode } from "../core/errors.js";
import { RUN_ID_PATTERN } from "../core/run-store.js";
import type { ChosenRun } from "../api/open-run.js";
import { makeIO, type CliIO, type GlobalOptions } from "./io.js";
import { printError } from "./print-error.js";
import { checkStateDir } from "./usage.js";

const STATELESS = new Set(["validate", "schema"]);

export const collect = (v: string, prev: string[]): string[] => [...prev, v];

export function onFailureOption(): Option {
  return new Option(
    "--on-failure <policy>",
    "default onFailure for steps that set none (the playbook's defaults.onFailure is overridden)",
  ).choices(["pause", "abort", "continue"]);
}

export interface ContinueFlags {
  playbook?: string;
  allowChangedPlaybook?: boolean;
}

export function continueOptions(cmd: Command): Command {
  return cmd
    .option(
      "-f, --playbook <file>",
      "the playbook (default: the file the run started from); also tells where a run kept in a remote state " +
        "store lives",
    )
    .option("--allow-changed-playbook", "continue even though the playbook changed since the run started (journaled)");
}

/**
 * Wrap a command action: build the IO from global options, run, print any
 * error through the one printer, and set the exit code. Actions return their
 * exit code (or nothing for 0).
 */
export function withIO<A extends unknown[]>(fn: (io: CliIO, ...args: A) => Promise<ExitCode | void> | ExitCode | void) {
  return async (...args: unknown[]): Promise<void> => {
    const cmd = args[args.length - 1] as Command;
    const io = makeIO(cmd.optsWithGlobals() as GlobalOptions);
    try {
      // validate and schema never touch the state directory: a bad one must not stop them.
      if (!STATELESS.has(cmd.name())) {
        const warning = checkStateDir(io.stateDir);
        if (warning) io.err(`${io.c.yellow("warning")} ${warning}`);
      }
      const code = await fn(io, ...(args.slice(0, -1) as A));
      process.exitCode = code ?? ExitCode.ok;
    } catch (e) {
      process.exitCode = printError(io, e);
    }
  };
}

/** Run ids as `cutover run` makes them: told apart from a step id given alone. */
const RUN_ID = RUN_ID_PATTERN;

/**
 * The run (and step) a decision command means. `[run-id] [step-id]`: two words are both; one word is the run id
 * when it looks like one, else a step of the environment's open run; none is the open run (api/open-run.ts).
 * A run taken by default is named, on stderr or as a `run.chosen` JSON line, so the log says what was acted on.
 */
export async function targetRun(
  io: CliIO,
  args: { first?: string; second?: string; stepArg: boolean; playbook?: string; finished?: boolean },
): Promise<{ runId: string; stepId?: string; chosen?: ChosenRun }> {
  if (args.second !== undefined) return { runId: args.first!, stepId: args.second };
  if (args.first !== undefined && (!args.stepArg || RUN_ID.test(args.first))) return { runId: args.first };
  // Loaded here, not at start: it reads playbooks, which `status` (sharing this module) must not load.
  const { chooseOpenRun } = await import("../api/open-run.js");
  const chosen = await chooseOpenRun({ stateDir: io.stateDir, playbook: args.playbook, finished: args.finished });
  if (io.json) io.out(JSON.stringify({ type: "run.chosen", ...chosen, why: "no run id given: the open run" }));
  else io.err(io.c.dim(`run ${chosen.runId} (environment ${chosen.environment}, ${chosen.where}): its open run`));
  return { runId: chosen.runId, stepId: args.first, chosen };
}
