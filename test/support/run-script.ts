/** Journal events of a made-up run, folded as the engine folds them, for feeding renderers and prompts. */
import type { RunEvent, RunEventBody } from "../../src/engine/events.js";
import { applyEvent, foldRun, type RunState } from "../../src/engine/reducer.js";

const BY = { user: "ops", host: "vm", pid: 4242 };

export type Listener = (e: RunEvent, state: RunState) => void;

/** Each event goes to `listener` as it is appended, with the state it leads to (as a session's onEvent). */
export class RunScript {
  private seq = 0;
  readonly started: RunEvent;
  readonly state: RunState;

  constructor(
    steps: string[],
    public listener: Listener = () => undefined,
    readonly runId = "r20261206-000000-abcdef",
  ) {
    this.started = this.stamp({
      type: "run.started",
      playbook: { name: "demo", file: "demo.yaml", hash: "0".repeat(64) },
      environment: "staging",
      params: {},
      secretParams: [],
      steps: steps.map((id) => ({ id, stepId: id })),
      by: BY,
      cutoverVersion: "0.0.0",
      formatVersion: 2,
    });
    this.state = foldRun([this.started]);
  }

  /** Hand run.started to the listener (a fresh run; a resumed one starts with later events). */
  begin(): void {
    this.listener(this.started, this.state);
  }

  /** Append `body` and return the event with the state after it. */
  next(body: RunEventBody): { e: RunEvent; state: RunState } {
    const e = this.stamp(body);
    applyEvent(this.state, e);
    this.listener(e, this.state);
    return { e, state: this.state };
  }

  start(stepId: string, attempt = 1): void {
    this.next({ type: "step.started", stepId, attempt });
  }

  succeed(stepId: string, attempt = 1): void {
    this.next({ type: "step.succeeded", stepId, attempt, outputs: {}, recorded: null, durationMs: 12 });
  }

  readonly by = BY;

  private stamp(body: RunEventBody): RunEvent {
    return { ...body, runId: this.runId, seq: ++this.seq, at: new Date().toISOString() } as RunEvent;
  }
}
