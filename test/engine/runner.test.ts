import { afterEach, describe, expect, it } from "vitest";
import { foldRun } from "../../src/engine/reducer.js";
import { JOURNAL_FORMAT_VERSION } from "../../src/engine/events.js";
import { harness, type Harness } from "./harness.js";
import { until } from "./fake-clock.js";

let h: Harness | undefined;
afterEach(() => h?.cleanup());

const types = (h: Harness) => h.events.map((e) => ("stepId" in e ? `${e.type}:${e.stepId}` : e.type));

describe("runner", () => {
  it("runs steps in order and journals every transition", async () => {
    h = harness(`
version: 1
name: seq
steps:
  - { id: a, action: test.work }
  - { id: b, action: test.work, with: { value: "\${{ steps.a.outputs.value }}-next" } }
`);
    const { runner, journal } = await h.start();
    const s = await runner.drive();
    expect(s.status).toBe("succeeded");
    expect(types(h)).toEqual([
      "run.started",
      "step.started:a",
      "step.succeeded:a",
      "step.started:b",
      "step.succeeded:b",
      "run.finished",
    ]);
    expect(s.steps.b!.outputs.value).toBe("a-next");
    expect(h.events[0]).toMatchObject({ type: "run.started", formatVersion: JOURNAL_FORMAT_VERSION });
    // The folded journal on disk equals the live state.
    expect(foldRun(await h.store.read(journal.runId)).steps).toEqual(s.steps);
  });

  it("retries with backoff, then succeeds", async () => {
    h = harness(`
version: 1
name: retry
steps:
  - { id: flaky, action: test.work, retry: { maxRetries: 3, delay: 10ms } }
`);
    h.world.failTimes.set("flaky", 2);
    const s = await (await h.start()).runner.drive();
    expect(s.status).toBe("succeeded");
    expect(h.world.runs.get("flaky")).toBe(3);
    const failed = h.events.filter((e) => e.type === "step.failed");
    expect(failed).toHaveLength(2);
    expect(failed.every((e) => e.type === "step.failed" && e.retryInMs !== undefined)).toBe(true);
  });

  it("does not retry a non-retryable failure and pauses (onFailure default)", async () => {
    h = harness(`
version: 1
name: noretry
steps:
  - { id: bad, action: test.work, with: { retryable: false }, retry: { maxRetries: 5 } }
  - { id: after, action: test.work }
`);
    h.world.failTimes.set("bad", 1);
    const s = await (await h.start()).runner.drive();
    expect(s.status).toBe("paused");
    expect(s.pause?.reason).toBe("failure");
    expect(h.world.runs.get("bad")).toBe(1);
    expect(h.world.runs.has("after")).toBe(false);
  });

  it("times an attempt out through its AbortSignal when the step's time is up, not before", async () => {
    h = harness(`
version: 1
name: timeout
steps:
  - { id: slow, action: test.work, with: { block: true }, timeout: 50ms, onFailure: abort }
`);
    h.clock.auto = false;
    const drive = (await h.start()).runner.drive();
    await until(() => h!.world.blocked.has("slow"), "the step to start");
    await h.clock.advance(49);
    expect(h.events.some((e) => e.type === "step.failed")).toBe(false);
    await h.clock.advance(1);
    const s = await drive;
    expect(s.steps.slow!.error?.code).toBe("STEP_TIMEOUT");
    expect(s.steps.slow!.durationMs).toBe(50);
    expect(s.status).toBe("aborted");
  });

  it("pauses at a gate until approved, then continues", async () => {
    h = harness(`
version: 1
name: gate
steps:
  - { id: a, action: test.work }
  - { id: ok, action: gate.approval, with: { message: "go?" } }
  - { id: b, action: test.work }
`);
    const { runner, journal } = await h.start();
    let s = await runner.drive();
    expect(s.status).toBe("paused");
    expect(s.pause).toMatchObject({ reason: "approval", stepId: "ok" });
    expect(h.world.runs.has("b")).toBe(false);
    // Driving again without an approval keeps it paused and runs nothing.
    s = await (await h.reopen(journal.runId)).runner.drive();
    expect(s.status).toBe("paused");
    const again = await h.reopen(journal.runId);
    await again.journal.append({ type: "gate.approved", stepId: "ok", by: { user: "alice", host: "h", pid: 1 } });
    s = await again.runner.drive();
    expect(s.status).toBe("succeeded");
    expect(s.steps.ok!.outputs.approvedBy).toBe("alice");
    expect(h.world.runs.get("a")).toBe(1);
  });

  it("runs a parallel group within its concurrency limit", async () => {
    h = harness(`
version: 1
name: par
steps:
  - id: warm
    parallel: true
    maxParallel: 2
    steps:
      - { id: w1, action: test.work, with: { block: true } }
      - { id: w2, action: test.work, with: { block: true } }
      - { id: w3, action: test.work, with: { block: true } }
      - { id: w4, action: test.work, with: { block: true } }
  - { id: after, action: test.work }
`);
    const world = h.world;
    const drive = (await h.start()).runner.drive();
    await until(() => world.blocked.size === 2, "two members running");
    expect([...world.blocked.keys()]).toEqual(["w1", "w2"]);
    world.release("w1");
    await until(() => world.blocked.has("w3"), "w3 to take w1's place");
    expect(world.blocked.size).toBe(2);
    for (const id of ["w2", "w3"]) world.release(id);
    await until(() => world.blocked.has("w4"), "w4");
    world.release("w4");
    const s = await drive;
    expect(s.status).toBe("succeeded");
    expect(h.world.maxActive).toBe(2);
    const afterStart = h.events.findIndex((e) => e.type === "step.started" && e.stepId === "after");
    const lastWarm = Math.max(
      ...h.events.map((e, i) => (e.type === "step.succeeded" && e.stepId.startsWith("w") ? i : -1)),
    );
    expect(afterStart).toBeGreaterThan(lastWarm);
  });

  it("journals each matrix member on its own and limits concurrency", async () => {
    h = harness(`
version: 1
name: matrix
params:
  regions: { type: list, default: [eu, us, asia] }
steps:
  - id: deploy
    matrix: { region: "\${{ params.regions }}" }
    maxParallel: 3
    action: test.work
    with: { block: true, value: "\${{ matrix.region }}" }
`);
    const world = h.world;
    const drive = (await h.start({ regions: ["eu", "us", "asia"] })).runner.drive();
    await until(() => world.blocked.size === 3, "all three members running at once");
    for (const id of [...world.blocked.keys()]) world.release(id);
    const s = await drive;
    expect(s.status).toBe("succeeded");
    expect(Object.keys(s.steps)).toEqual(["deploy[eu]", "deploy[us]", "deploy[asia]"]);
    expect(s.steps["deploy[us]"]!.outputs.value).toBe("us");
    expect(h.world.maxActive).toBe(3);
  });

  it("exposes a matrix step's outputs per member to later steps", async () => {
    h = harness(
      `
version: 1
name: matrix-outputs
steps:
  - id: deploy
    matrix: { region: [eu, us] }
    action: test.work
    with: { value: "url-\${{ ` +
        `matrix.region }}" }
  - { id: report, action: test.work, with: { value: ` +
        `"\${{ steps.deploy.outputs.us.value }} \${{ steps.deploy.status }}" } }
`,
    );
    const s = await (await h.start()).runner.drive();
    expect(s.steps.report!.outputs.value).toBe("url-us succeeded");
  });

  it("skips a step whose condition is false", async () => {
    h = harness(`
version: 1
name: when
params:
  migrate: { type: boolean, default: false }
steps:
  - { id: m, action: test.work, when: "\${{ params.migrate }}" }
  - { id: n, action: test.work }
`);
    const s = await (await h.start({ migrate: false })).runner.drive();
    expect(s.steps.m!.status).toBe("skipped");
    expect(h.world.runs.has("m")).toBe(false);
    expect(s.steps.n!.status).toBe("succeeded");
  });

  it("stops after the running step on a first interrupt and resumes where it stopped", async () => {
    h = harness(`
version: 1
name: stop
steps:
  - { id: a, action: test.work, with: { block: true } }
  - { id: b, action: test.work }
`);
    const { runner, journal } = await h.start();
    const p = runner.drive();
    await until(() => h!.world.blocked.has("a"), "a to run");
    runner.stop("SIGINT");
    h.world.release("a");
    const s = await p;
    expect(s.status).toBe("interrupted");
    expect(s.steps.a!.status).toBe("succeeded");
    expect(s.steps.b!.status).toBe("pending");
    const done = await (await h.reopen(journal.runId)).runner.drive();
    expect(done.status).toBe("succeeded");
    expect(h.world.runs.get("a")).toBe(1);
    expect(h.world.runs.get("b")).toBe(1);
  });

  it("cancels the running step on a second interrupt; resume re-runs it", async () => {
    h = harness(`
version: 1
name: cancel
steps:
  - { id: a, action: test.work, with: { block: true } }
`);
    const { runner, journal } = await h.start();
    const p = runner.drive();
    await until(() => h!.world.blocked.has("a"), "a to run");
    runner.stop();
    runner.cancelRunning(new Error("second ^C"));
    const s = await p;
    expect(s.status).toBe("interrupted");
    expect(s.steps.a!.error?.code).toBe("CANCELLED");
    h.world.runs.clear();
    const r = await h.reopen(journal.runId);
    const q = r.runner.drive();
    await until(() => h!.world.blocked.has("a"), "a to run again");
    h.world.release("a");
    const done = await q;
    expect(done.status).toBe("succeeded");
    expect(done.steps.a!.attempts).toBe(2);
  });

  it("applies an operator's retry and skip decisions to a paused step", async () => {
    h = harness(`
version: 1
name: decide
steps:
  - { id: a, action: test.work }
  - { id: b, action: test.work }
`);
    h.world.failTimes.set("a", 2);
    const { journal, runner } = await h.start();
    expect((await runner.drive()).status).toBe("paused");
    const by = { user: "carol", host: "h", pid: 1 };
    let r = await h.reopen(journal.runId);
    await r.journal.append({ type: "run.decision", decision: "retry", stepId: "a", by });
    expect((await r.runner.drive()).status).toBe("paused");
    r = await h.reopen(journal.runId);
    await r.journal.append({ type: "run.decision", decision: "skip", stepId: "a", by });
    const s = await r.runner.drive();
    expect(s.status).toBe("succeeded");
    expect(s.steps.a!.status).toBe("skipped");
    expect(s.steps.a!.skipReason).toContain("carol");
    expect(h.world.runs.get("a")).toBe(2);
  });

  it("a group's condition skips its steps, and its onFailure is their default", async () => {
    h = harness(`
version: 1
name: groups
params:
  extra: { type: boolean, default: false }
steps:
  - id: optional
    when: \${{ params.extra }}
    steps:
      - { id: o1, action: test.work }
      - { id: o2, action: test.work }
  - id: tolerant
    onFailure: continue
    steps:
      - { id: t1, action: test.work }
      - { id: t2, action: test.work }
  - { id: last, action: test.work }
`);
    h.world.failTimes.set("t1", 1);
    const s = await (await h.start({ extra: false })).runner.drive();
    expect(s.status).toBe("succeeded");
    expect([s.steps.o1!.status, s.steps.o2!.status]).toEqual(["skipped", "skipped"]);
    expect(h.world.runs.has("o1")).toBe(false);
    expect(s.steps.t1!.status).toBe("failed");
    expect(s.steps.t2!.status).toBe("succeeded");
    expect(s.steps.last!.status).toBe("succeeded");
  });
});
