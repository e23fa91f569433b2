/** Abort through the runner: undo order, partial attempts, points of no return, resuming an abort. */
import { afterEach, describe, expect, it } from "vitest";
import { harness, type Harness } from "./harness.js";

let h: Harness | undefined;
afterEach(() => h?.cleanup());

describe("abort", () => {
  it("gives a resumed undo what the interrupted one checkpointed", async () => {
    h = harness(`
version: 1
name: halves
steps:
  - { id: one, action: test.halves }
  - { id: two, action: test.work, onFailure: abort }
`);
    h.world.failTimes.set("two", 1);
    const { runner, journal } = await h.start();
    let s = await runner.drive();
    expect(s.status).toBe("paused");
    expect(s.steps.one!.undo).toMatchObject({ status: "failed", checkpoint: { firstHalf: "done" } });
    s = await (await h.reopen(journal.runId)).runner.drive();
    expect(s.status).toBe("aborted");
    expect(h.world.undone).toEqual(['one after {"firstHalf":"done"}']);
  });

  it("undoes first a failed step whose action can take back a partial attempt, then the completed ones", async () => {
    h = harness(`
version: 1
name: partial
steps:
  - { id: one, action: test.partial }
  - { id: two, action: test.work }
  - { id: three, action: test.partial }
  - { id: four, action: test.work, onFailure: abort }
`);
    h.world.failTimes.set("three", 1);
    const { runner, journal } = await h.start();
    let s = await runner.drive();
    expect(s.status).toBe("paused");
    expect(s.steps.three!.status).toBe("failed");
    expect(h.world.runs.has("four")).toBe(false);
    await journal.append({ type: "abort.requested", by: { user: "op", host: "h", pid: 1 } });
    s = await (await h.reopen(journal.runId)).runner.drive();
    expect(s.status).toBe("aborted");
    expect(h.world.undone).toEqual(["three (partial)", "two", "one"]);
    expect(s.steps.three!.undo.status).toBe("succeeded");
  });

  it("aborts by undoing completed steps in reverse order, reporting what stays", async () => {
    h = harness(`
version: 1
name: abort
steps:
  - { id: one, action: test.work }
  - { id: two, action: test.work, undo: false }
  - { id: three, action: test.contract }
  - { id: four, action: test.work }
  - { id: five, action: test.work, onFailure: abort }
`);
    h.world.failTimes.set("five", 1);
    const s = await (await h.start()).runner.drive();
    expect(s.status).toBe("aborted");
    expect(h.world.undone).toEqual(["four", "one"]);
    expect(s.steps.two!.undo).toMatchObject({ status: "skipped", reason: "no-undo" });
    expect(s.steps.three!.undo).toMatchObject({ status: "skipped", reason: "point-of-no-return" });
    expect(s.steps.five!.undo).toMatchObject({ status: "skipped", reason: "not-completed" });
  });

  it("continues an abort interrupted halfway without undoing a step twice", async () => {
    const h2 = harness(`
version: 1
name: abort3
steps:
  - { id: one, action: test.work }
  - { id: two, action: test.work }
  - { id: three, action: test.work }
  - { id: gate, action: gate.approval }
`);
    try {
      const r = await h2.start();
      expect((await r.runner.drive()).status).toBe("paused");
      await r.journal.append({ type: "abort.requested", by: { user: "bob", host: "h", pid: 1 } });
      await r.journal.append({ type: "undo.started", stepId: "three", attempt: 1 });
      await r.journal.append({ type: "undo.succeeded", stepId: "three", attempt: 1, durationMs: 1 });
      const done = await (await h2.reopen(r.journal.runId)).runner.drive();
      expect(done.status).toBe("aborted");
      expect(h2.world.undone).toEqual(["two", "one"]);
    } finally {
      h2.cleanup();
    }
  });
});
