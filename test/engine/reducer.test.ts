import { describe, expect, it } from "vitest";
import type { RunEvent, RunEventBody } from "../../src/engine/events.js";
import { foldRun, isFinished, undoOrder } from "../../src/engine/reducer.js";

const by = { user: "u", host: "h", pid: 1 };
function events(...bodies: RunEventBody[]): RunEvent[] {
  return bodies.map(
    (b, i) =>
      ({ ...b, runId: "r1", seq: i + 1, at: new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString() }) as RunEvent,
  );
}
const started: RunEventBody = {
  type: "run.started",
  playbook: { name: "p", file: "p.yaml", hash: "abc" },
  environment: "prod",
  params: { v: "2" },
  secretParams: [],
  steps: [
    { id: "a", stepId: "a" },
    { id: "b", stepId: "b" },
    { id: "c", stepId: "c" },
  ],
  by,
  cutoverVersion: "t",
};

describe("foldRun", () => {
  it("starts with every planned step pending", () => {
    const s = foldRun(events(started));
    expect(s.status).toBe("running");
    expect(s.order).toEqual(["a", "b", "c"]);
    expect(Object.values(s.steps).map((x) => x.status)).toEqual(["pending", "pending", "pending"]);
  });

  it("refuses a journal that does not begin with run.started", () => {
    expect(() => foldRun(events({ type: "step.started", stepId: "a", attempt: 1 }))).toThrow(/run.started/);
  });

  it("tracks attempts, failures, retries, outputs and durations", () => {
    const s = foldRun(
      events(
        started,
        { type: "step.started", stepId: "a", attempt: 1 },
        {
          type: "step.failed",
          stepId: "a",
          attempt: 1,
          error: { code: "X", message: "boom" },
          durationMs: 5,
          retryInMs: 100,
        },
        { type: "step.started", stepId: "a", attempt: 2 },
        { type: "step.checkpoint", stepId: "a", attempt: 2, data: { op: "123" } },
        {
          type: "step.succeeded",
          stepId: "a",
          attempt: 2,
          outputs: { slot: "green" },
          recorded: { prev: "blue" },
          durationMs: 7,
        },
      ),
    );
    const a = s.steps.a!;
    expect(a).toMatchObject({
      status: "succeeded",
      attempts: 2,
      failures: 1,
      durationMs: 12,
      outputs: { slot: "green" },
      recorded: { prev: "blue" },
      checkpoint: { op: "123" },
    });
    expect(a.error).toBeUndefined();
  });

  it("does not count a cancellation against the retry budget", () => {
    const s = foldRun(
      events(
        started,
        { type: "step.started", stepId: "a", attempt: 1 },
        { type: "step.failed", stepId: "a", attempt: 1, error: { code: "CANCELLED", message: "c" }, durationMs: 1 },
      ),
    );
    expect(s.steps.a!.failures).toBe(0);
  });

  it("pauses, records a decision and clears it when the step starts again", () => {
    const evs = events(
      started,
      { type: "step.started", stepId: "a", attempt: 1 },
      { type: "step.failed", stepId: "a", attempt: 1, error: { code: "X", message: "no" }, durationMs: 1 },
      { type: "run.paused", reason: "failure", stepId: "a", message: "step a failed" },
      { type: "run.decision", decision: "retry", stepId: "a", by },
    );
    let s = foldRun(evs);
    expect(s.status).toBe("paused");
    expect(s.pendingDecision).toMatchObject({ decision: "retry", stepId: "a" });
    expect(s.steps.a!.failures).toBe(0);
    s = foldRun([
      ...evs,
      ...events(started, { type: "run.resumed", by }, { type: "step.started", stepId: "a", attempt: 2 })
        .slice(1)
        .map((e, i) => ({ ...e, seq: evs.length + i + 1 })),
    ]);
    expect(s.status).toBe("running");
    expect(s.pendingDecision).toBeUndefined();
    expect(s.pause).toBeUndefined();
  });

  it("orders undos by most recent success and follows the abort to its end", () => {
    const evs = events(
      started,
      { type: "step.started", stepId: "b", attempt: 1 },
      { type: "step.succeeded", stepId: "b", attempt: 1, outputs: {}, recorded: null, durationMs: 1 },
      { type: "step.started", stepId: "a", attempt: 1 },
      { type: "step.succeeded", stepId: "a", attempt: 1, outputs: {}, recorded: null, durationMs: 1 },
      { type: "abort.requested", by, reason: "bad" },
      { type: "undo.started", stepId: "a", attempt: 1 },
      { type: "undo.succeeded", stepId: "a", attempt: 1, durationMs: 1 },
    );
    let s = foldRun(evs);
    expect(undoOrder(s).map((x) => x.id)).toEqual(["a", "b"]);
    expect(s.status).toBe("aborting");
    expect(s.steps.a!.undo.status).toBe("succeeded");
    expect(isFinished(s)).toBe(false);
    s = foldRun([
      ...evs,
      { type: "run.finished", outcome: "aborted", runId: "r1", seq: evs.length + 1, at: "2026-01-01T01:00:00.000Z" },
    ]);
    expect(s.status).toBe("aborted");
    expect(isFinished(s)).toBe(true);
  });

  it("is pure: folding the same events twice gives equal states", () => {
    const evs = events(
      started,
      { type: "step.started", stepId: "a", attempt: 1 },
      { type: "gate.approved", stepId: "c", by },
    );
    expect(foldRun(evs)).toEqual(foldRun(evs));
    expect(foldRun(evs).steps.c!.approvedBy).toEqual(by);
  });

  it("never ignores what it cannot place: an unknown event type or an unplanned step throws", () => {
    expect(() => foldRun(events(started, { type: "step.teleported", stepId: "a" } as never))).toThrow(
      /unknown event type "step.teleported"/,
    );
    expect(() => foldRun(events(started, { type: "step.started", stepId: "zz", attempt: 1 }))).toThrow(
      /step zz, which run r1 never planned/,
    );
  });

  it("a changed playbook's run.resumed adds the steps it plans, in order, keeping what the journal knows", () => {
    const s = foldRun(
      events(
        started,
        { type: "step.started", stepId: "a", attempt: 1 },
        {
          type: "run.resumed",
          by,
          playbookChanged: true,
          steps: [
            { id: "a", stepId: "a" },
            { id: "a2", stepId: "a2" },
            { id: "b", stepId: "b" },
          ],
        },
        { type: "step.started", stepId: "a2", attempt: 1 },
      ),
    );
    expect(s.order).toEqual(["a", "b", "c", "a2"]);
    expect(s.steps.a!.status).toBe("running");
    expect(s.steps.a2!.status).toBe("running");
  });
});
