/**
 * The runner's stop point (`--until`/`--only`, api/stop-point.ts) inside groups, parallel groups and
 * matrices: it starts no member past the point, journals a pause with reason "until", and a later
 * drive continues from there.
 */
import { afterEach, describe, expect, it } from "vitest";
import { stopPoint } from "../../src/api/stop-point.js";
import type { RunState } from "../../src/engine/reducer.js";
import { harness, type Harness } from "./harness.js";

let h: Harness | undefined;
afterEach(() => h?.cleanup());

const statuses = (s: RunState) => Object.fromEntries(s.order.map((id) => [id, s.steps[id]!.status]));
const limit = (mode: "until" | "only", target: string, state?: RunState) =>
  stopPoint(h!.loaded, { all: state?.params ?? {}, secretNames: [] }, mode, target, state).limit(
    state?.runId ?? "test-1",
  );

describe("stop points in the runner", () => {
  it("--until a member of a parallel group starts none of its siblings; the next drive runs the rest", async () => {
    h = harness(`
version: 1
name: par
steps:
  - id: both
    parallel: true
    steps:
      - { id: a, action: test.work }
      - { id: b, action: test.work }
  - { id: c, action: test.work }
`);
    const { runner, journal } = await h.start();
    runner.limitTo(limit("until", "a"));
    const s = await runner.drive();
    expect(statuses(s)).toEqual({ a: "succeeded", b: "pending", c: "pending" });
    expect(s.status).toBe("paused");
    expect(s.pause).toMatchObject({ reason: "until", stepId: "a" });
    expect(h.events.at(-1)).toMatchObject({ type: "run.paused", reason: "until" });

    const again = await h.reopen(journal.runId);
    const done = await again.runner.drive();
    expect(done.status).toBe("succeeded");
    expect(h.events.filter((e) => e.type === "run.resumed")).toHaveLength(1);
  });

  it("--until a group runs all of it; --until one matrix member runs that member only", async () => {
    h = harness(`
version: 1
name: groups
steps:
  - id: prep
    steps:
      - { id: a, action: test.work }
      - { id: b, action: test.work }
  - { id: deploy, action: test.work, matrix: { region: [east, west] } }
  - { id: c, action: test.work }
`);
    const { runner, journal } = await h.start();
    runner.limitTo(limit("until", "prep"));
    const first = await runner.drive();
    expect(statuses(first)).toMatchObject({ a: "succeeded", b: "succeeded", "deploy[east]": "pending" });
    // The journal names planned members only: the group's last member stands for it (and the journal reads back).
    expect(first.pause).toMatchObject({
      reason: "until",
      stepId: "b",
      message: expect.stringContaining("--until prep"),
    });

    const second = await h.reopen(journal.runId);
    second.runner.limitTo(limit("until", "deploy[east]", journal.state));
    const s = await second.runner.drive();
    expect(statuses(s)).toMatchObject({ "deploy[east]": "succeeded", "deploy[west]": "pending", c: "pending" });
    expect(s.pause).toMatchObject({ reason: "until", stepId: "deploy[east]" });

    // A member the matrix does not have is refused before anything runs, with the members it has.
    expect(() => limit("until", "deploy[north]", journal.state)).toThrow(/no step "deploy\[north\]"/);
    try {
      limit("until", "deploy[north]", journal.state);
    } catch (e) {
      expect((e as { hint?: string }).hint).toContain("deploy[east], deploy[west]");
    }

    const third = await h.reopen(journal.runId);
    third.runner.limitTo(limit("only", "deploy", third.journal.state));
    expect(statuses(await third.runner.drive())).toMatchObject({ "deploy[west]": "succeeded", c: "pending" });
  });

  it("does not enter a group past the stop point (its when may read outputs of steps not run yet)", async () => {
    h = harness(`
version: 1
name: later-group
steps:
  - { id: a, action: test.work }
  - id: later
    when: \${{ steps.a.outputs.value == 'never' }}
    steps:
      - { id: x, action: test.work }
`);
    const { runner } = await h.start();
    runner.limitTo(limit("until", "a"));
    const s = await runner.drive();
    expect(statuses(s)).toEqual({ a: "succeeded", x: "pending" });
    expect(h.events.some((e) => e.type === "step.skipped")).toBe(false);
    expect(s.pause?.reason).toBe("until");
  });

  it("a stop point at the last step ends the run as succeeded, with no pause", async () => {
    h = harness(`
version: 1
name: last
steps:
  - { id: a, action: test.work }
  - { id: b, action: test.work }
`);
    const { runner } = await h.start();
    runner.limitTo(limit("until", "b"));
    const s = await runner.drive();
    expect(s.status).toBe("succeeded");
    expect(h.events.some((e) => e.type === "run.paused")).toBe(false);
  });

  it("--only of a failed step is refused with the retry that would run it", async () => {
    h = harness(`
version: 1
name: failed
steps:
  - { id: a, action: test.work, with: { retryable: false } }
  - { id: b, action: test.work }
`);
    h.world.failTimes.set("a", 1);
    const { runner, journal } = await h.start();
    const s = await runner.drive();
    expect(s.pause?.reason).toBe("failure");
    expect(() => limit("only", "a", journal.state)).toThrow(/--only a: step a of run test-1 failed/);
    expect(() => limit("only", "b", journal.state)).not.toThrow(); // passing over a failed step is the runner's call
  });
});
