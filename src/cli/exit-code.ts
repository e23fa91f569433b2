/** The exit code a run's state stands for (docs/design.md, "Exit codes"). */
import { ExitCode } from "../core/errors.js";
import type { RunState } from "../engine/reducer.js";

export function exitCodeForState(s: RunState): ExitCode {
  switch (s.status) {
    case "succeeded":
      return ExitCode.ok;
    case "paused":
      return s.pause?.reason === "until" ? ExitCode.stopped : ExitCode.paused;
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
