/**
 * The page's buttons: a decision goes through the same library call as `cutover approve | retry | skip | abort`
 * (api/run.ts `decide()`, which checks under the lease that the run can still take it), journaled as
 * `web:<user>`, and then this process drives the run to its next resting point in the background, so an approved
 * run carries on while the page shows its progress. One drive per run at a time.
 */
import { z } from "zod";
import { decide, drive } from "../api/run.js";
import type { Session } from "../api/session.js";
import { CutoverError, ErrorCode, toErrorInfo } from "../core/errors.js";

export const DecisionRequest = z.strictObject({
  decision: z.enum(["approve", "retry", "skip", "abort"]),
  /** The step the page showed the button for: a run that moved on since refuses (decide() checks it). */
  stepId: z.string().min(1).max(200).optional(),
  note: z.string().max(2000).optional(),
  /** abort: why (required, journaled). */
  reason: z.string().max(2000).optional(),
});
export type DecisionRequest = z.infer<typeof DecisionRequest>;

/** What this process did last for a run: shown on the page (a drive that ended in an error says so). */
export interface DriveReport {
  decision: DecisionRequest["decision"];
  by: string;
  at: string;
  /** Still driving the run, or the status it rested at, or the error that stopped the drive. */
  state: "driving" | "done" | "error";
  status?: string;
  error?: string;
}

export interface DecisionOptions {
  stateDir: string;
  playbook?: string;
  env: NodeJS.ProcessEnv;
  /** Journaled as the actor, `web:<user>`. */
  user: string;
  log(line: string): void;
}

export class Decisions {
  private readonly drives = new Map<string, { session: Session; done: Promise<void> }>();
  private readonly reports = new Map<string, DriveReport>();

  constructor(private readonly opts: DecisionOptions) {}

  report(runId: string): DriveReport | undefined {
    return this.reports.get(runId);
  }

  /** Record the decision (or throw why the run cannot take it), then drive the run in the background. */
  async take(runId: string, req: DecisionRequest): Promise<DriveReport> {
    if (this.drives.has(runId))
      throw new CutoverError(ErrorCode.RunState, `run ${runId} is being driven by this page already; wait for it`);
    const reason = req.reason?.trim();
    if (req.decision === "abort" && !reason)
      throw new CutoverError(ErrorCode.Usage, "abort needs a reason (it is journaled with who aborted)");
    const actor = `web:${this.opts.user}`;
    const session = await decide(runId, req.decision === "approve" ? "approve" : req.decision, {
      stateDir: this.opts.stateDir,
      playbook: this.opts.playbook,
      env: { ...this.opts.env, CUTOVER_ACTOR: actor },
      stepId: req.decision === "abort" ? undefined : req.stepId,
      note: req.note?.trim() || undefined,
      reason,
    });
    const what = `${actor} ${req.decision}${req.stepId && req.decision !== "abort" ? ` ${req.stepId}` : ""}`;
    this.opts.log(`${what} on run ${runId}${reason ? ` (reason: ${reason})` : ""}; driving it`);
    const report: DriveReport = { decision: req.decision, by: actor, at: new Date().toISOString(), state: "driving" };
    this.reports.set(runId, report);
    const done = drive(session).then(
      (state) => {
        Object.assign(report, { state: "done", status: state.status });
        this.opts.log(`run ${runId} is ${state.status}`);
      },
      (e: unknown) => {
        Object.assign(report, { state: "error", error: toErrorInfo(e).message });
        this.opts.log(`run ${runId}: the drive stopped: ${toErrorInfo(e).message}`);
      },
    );
    this.drives.set(runId, { session, done: done.finally(() => this.drives.delete(runId)) });
    return { ...report };
  }

  /** Shutting down: each run finishes its current step and checkpoints (`cancel`: cancel the step instead). */
  async stop(signal: NodeJS.Signals, cancel: boolean): Promise<number> {
    const running = [...this.drives.values()];
    for (const d of running) {
      if (cancel) d.session.runner.cancelRunning(new Error(`cancelled by ${signal}`));
      else d.session.runner.stop(signal);
    }
    await Promise.all(running.map((d) => d.done));
    return running.length;
  }
}
