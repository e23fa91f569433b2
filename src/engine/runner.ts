/**
 * Drives a run from its journaled state to the next resting point: finished,
 * paused (approval or a decision), or interrupted. It reconciles rather than
 * replays: completed members are passed over, so `drive()` after a crash,
 * a pause or a decision continues exactly where the journal says.
 */
import { setMaxListeners } from "node:events";
import { clockOf, type EngineDeps } from "./context.js";
import type { PlannedStep } from "./events.js";
import { runAbort } from "./abort.js";
import { runMember, type MemberControl, type MemberResult } from "./member.js";
import { buildPlan, leafSpecs, plannedSteps, type PlanNode } from "./plan.js";
import { buildScope, resolveCondition } from "./resolve.js";
import { gateExpiry, isExpired } from "./gate.js";
import { isFinished, type RunState } from "./reducer.js";

/**
 * Where a drive stops on purpose (`--until`/`--only`, api/stop-point.ts): it starts no member outside
 * `members`; reaching one journals a pause with reason "until", so `resume` continues from there.
 */
export interface DriveLimit {
  /** Members this drive may start (in plan order, a prefix of the run or one step). */
  members: ReadonlySet<string>;
  /** The last member the drive may start (a planned member id), journaled in the pause. */
  stepId: string;
  message: string;
}

export class Runner {
  private stopRequested = false;
  private stopSignal?: string;
  private readonly cancel = new AbortController();
  readonly tree: PlanNode[];
  private readonly specs;
  private limit?: DriveLimit;
  private limitReached = false;

  constructor(private readonly deps: EngineDeps) {
    // Every running member listens on this one signal; a wide matrix is not a listener leak.
    setMaxListeners(0, this.cancel.signal);
    this.tree = buildPlan(deps.playbook.steps, deps.journal.state.params);
    this.specs = leafSpecs(this.tree);
  }

  /** First SIGINT/SIGTERM: finish what is running, checkpoint, start nothing new. */
  stop(signal = "SIGINT"): void {
    this.stopRequested = true;
    this.stopSignal ??= signal;
  }

  /** Second signal (or a lost lease): cancel running actions through their AbortSignal. */
  cancelRunning(reason: unknown): void {
    this.stopRequested = true;
    this.cancel.abort(reason);
  }

  /** Stop the next drive at `limit` (a pipeline stage's share of the run) instead of running to the end. */
  limitTo(limit: DriveLimit | undefined): void {
    this.limit = limit;
  }

  get stopping(): boolean {
    return this.stopRequested;
  }

  private get ctl(): MemberControl {
    return { stopping: () => this.stopRequested, cancelSignal: this.cancel.signal };
  }

  async drive(): Promise<RunState> {
    const j = this.deps.journal;
    const s = j.state;
    if (isFinished(s)) return s;
    // A pause at --until is where a pipeline stage ended, not a question for a person: resume simply continues.
    const waitsForPerson = s.pause?.reason !== "approval" && s.pause?.reason !== "until";
    if (s.status === "paused" && waitsForPerson && !s.pendingDecision && !s.abortRequested) return s;
    if (
      s.status === "paused" &&
      s.pause?.reason === "approval" &&
      s.pause.stepId &&
      !s.steps[s.pause.stepId]?.approvedBy &&
      !s.abortRequested
    ) {
      // An unapproved gate keeps the run paused, unless it has expired: then its onExpiry applies.
      if (!isExpired(gateExpiry(s, s.pause.stepId), clockOf(this.deps).now())) return s;
    }
    if (s.status === "paused" || s.status === "interrupted")
      await j.append({ type: "run.resumed", by: this.deps.actor });

    let result: MemberResult;
    if (j.state.abortRequested) result = "abort";
    else result = await this.runNodes(this.tree, false, Number.POSITIVE_INFINITY);

    if (result === "abort") result = await runAbort(this.deps, this.ctl, this.specs);
    if (result === "ok" && !isFinished(j.state)) await j.append({ type: "run.finished", outcome: "succeeded" });
    if (result === "stop" && this.limitReached && this.limit && !this.stopRequested && j.state.status === "running") {
      await j.append({ type: "run.paused", reason: "until", stepId: this.limit.stepId, message: this.limit.message });
    }
    if (result === "stop" && this.stopRequested && j.state.status !== "paused" && !isFinished(j.state)) {
      await j.append({ type: "run.interrupted", signal: this.stopSignal ?? "cancel" });
    }
    return j.state;
  }

  private async runNodes(nodes: PlanNode[], parallel: boolean, limit: number): Promise<MemberResult> {
    return runLimited(
      nodes,
      parallel ? limit : 1,
      (n) => this.runNode(n),
      () => this.stopRequested,
    );
  }

  private async runNode(n: PlanNode): Promise<MemberResult> {
    if (n.kind === "group") {
      // A group wholly past the limit is not entered: its condition may read outputs of steps not run yet.
      if (!plannedSteps(n.children).some((m) => this.mayStart(m))) return this.reachLimit();
      if (n.spec.when !== undefined && !(await this.groupRuns(n))) return "ok";
      return this.runNodes(n.children, n.parallel, n.maxParallel);
    }
    return runLimited(
      n.members,
      n.maxParallel,
      (m: PlannedStep) => (this.mayStart(m) ? runMember(this.deps, this.ctl, m, n.spec) : this.reachLimit()),
      () => this.stopRequested,
    );
  }

  /** Within the limit, or done already (a done member is passed over, never re-run). */
  private mayStart(m: PlannedStep): boolean {
    if (!this.limit || this.limit.members.has(m.id)) return true;
    const st = this.deps.journal.state.steps[m.id]?.status;
    return st === "succeeded" || st === "skipped";
  }

  private reachLimit(): Promise<MemberResult> {
    this.limitReached = true;
    return Promise.resolve("stop");
  }

  /** A group whose condition is false skips every step inside it that has not run (journaled per step). */
  private async groupRuns(n: Extract<PlanNode, { kind: "group" }>): Promise<boolean> {
    const j = this.deps.journal;
    const scope = buildScope({
      state: j.state,
      params: this.deps.params,
      env: this.deps.env,
      secret: this.deps.secret,
      redactor: this.deps.redactor,
    });
    let run: boolean;
    try {
      run = resolveCondition(n.spec.when, scope);
    } catch {
      // an unresolvable condition: let each step report it (its own `when` is evaluated with the same scope)
      run = true;
    }
    if (run) return true;
    for (const m of plannedSteps(n.children)) {
      const st = j.state.steps[m.id];
      if (!st || st.status === "pending")
        await j.append({
          type: "step.skipped",
          stepId: m.id,
          reason: "condition",
          note: `group ${n.spec.id}: ${String(n.spec.when)}`,
        });
    }
    return false;
  }
}

/**
 * Run `fn` over items with at most `limit` at once, in order. After a "stop"
 * or "abort" no new item starts; running ones finish. The worst result wins.
 */
async function runLimited<T>(
  items: T[],
  limit: number,
  fn: (item: T) => Promise<MemberResult>,
  stopping: () => boolean,
): Promise<MemberResult> {
  let next = 0;
  let worst: MemberResult = "ok";
  const rank = { ok: 0, stop: 1, abort: 2 } as const;
  const worker = async () => {
    while (next < items.length && worst === "ok" && !stopping()) {
      const item = items[next++]!;
      const r = await fn(item);
      if (rank[r] > rank[worst]) worst = r;
    }
  };
  const n = Math.max(1, Math.min(limit, items.length));
  await Promise.all(Array.from({ length: n }, worker));
  if (worst === "ok" && next < items.length) worst = "stop";
  return worst;
}
