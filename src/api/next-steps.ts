/**
 * What whoever is on call can do next with a run, as the exact commands to type: `status` prints them and its
 * JSON carries them (a dashboard or a bot can offer the same choices). One function for every state, so a state
 * without advice is a gap a test sees, not a silent screen.
 */
import { holderOf } from "../core/lease-holder.js";
import type { LeaseInfo } from "../core/run-store.js";
import type { RunState } from "../engine/reducer.js";

interface NextCommand {
  /** What it does, in a few words ("approve", "retry the step"). */
  what: string;
  command: string;
}

export interface NextSteps {
  /** Where the run stands, in one sentence. */
  say: string;
  commands: NextCommand[];
}

export interface NextStepsOptions {
  /** The live lease of the run's environment, if any. */
  lease?: LeaseInfo;
  /** The journal shows it running but nothing drives it (api/inspect.ts driverGone). */
  gone: boolean;
  /** Added to each command so it finds the same run: `-f <playbook>`, `--state-dir <dir>`. */
  locate?: string;
}

export function nextSteps(s: RunState, opts: NextStepsOptions): NextSteps {
  const id = s.runId;
  const at = opts.locate ? ` ${opts.locate}` : "";
  const cmd = (what: string, verb: string, rest = "") => ({ what, command: `cutover ${verb} ${id}${rest}${at}` });
  const step = s.pause?.stepId ? ` ${s.pause.stepId}` : "";
  switch (s.status) {
    case "succeeded":
      return { say: "succeeded", commands: [cmd("undo it, if it must be", "abort", " --rollback")] };
    case "failed":
      return { say: `failed${s.error ? `: ${s.error.message}` : ""}; nothing more runs`, commands: [] };
    case "aborted": {
      const left = s.order.filter((k) => {
        const u = s.steps[k]!.undo;
        return u.status === "failed" || (u.status === "skipped" && u.reason !== "nothing-to-undo");
      });
      return {
        say: left.length
          ? `aborted; left in place, to check by hand: ${left.join(", ")}`
          : "aborted; every completed step with an undo was undone",
        commands: [],
      };
    }
    case "paused":
      if (s.abortRequested)
        return {
          say: `the abort stopped: ${s.pause?.message ?? "an undo failed"}`,
          commands: [cmd("retry the undo", "abort"), cmd("leave it in place and go on", "skip", step)],
        };
      if (s.pause?.reason === "approval")
        return {
          say: `waiting for approval at gate${step}`,
          commands: [cmd("approve", "approve", step), cmd("abort", "abort")],
        };
      if (s.pause?.reason === "failure" || s.pause?.reason === "resume-policy")
        return {
          say: s.pause.reason === "failure" ? `step${step} failed` : `step${step} was interrupted and may not rerun`,
          commands: [cmd("retry the step", "retry", step), cmd("skip it", "skip", step), cmd("abort", "abort")],
        };
      return {
        say: `stopped${step ? ` after${step}` : ""}`,
        commands: [cmd("continue", "resume"), cmd("abort", "abort")],
      };
    case "interrupted":
      return {
        say: "interrupted and checkpointed",
        commands: [cmd("continue", "resume"), cmd("abort", "abort")],
      };
    case "running":
    case "aborting": {
      const verb = s.status === "aborting" ? "abort" : "resume";
      if (opts.gone)
        return {
          say:
            "the cutover process that ran it is gone (crashed, killed, or its CI job cancelled); its lease is free " +
            "or expiring",
          commands: [
            cmd(s.status === "aborting" ? "continue the abort" : "continue", verb),
            ...(s.status === "running" ? [cmd("abort", "abort")] : []),
          ],
        };
      const holder = opts.lease ? holderOf(opts.lease) : undefined;
      const who = holder
        ? `${holder.user}@${holder.host} (pid ${holder.pid})`
        : (opts.lease?.holder ?? "another process");
      return {
        say:
          `${s.status === "aborting" ? "aborting" : "running"} in ${who}` +
          `${opts.lease ? `, lease renewed until ${opts.lease.expiresAt}` : ""}`,
        commands: [cmd("follow it", "status", " --watch")],
      };
    }
  }
}
