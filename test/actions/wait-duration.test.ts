import { describe, expect, it } from "vitest";
import { waitDuration } from "../../src/actions/wait-duration.js";
import { makeContext, runAction } from "../support/context.js";
import { waitFor } from "../support/processes.js";

describe("wait.duration", () => {
  it("checkpoints the end time before sleeping, then waits it out", async () => {
    const { ctx, seen } = makeContext();
    const before = Date.now();
    const r = await runAction(waitDuration, { duration: "150ms" }, ctx);
    expect(seen.checkpoints).toHaveLength(1);
    const until = Date.parse((seen.checkpoints[0] as { until: string }).until);
    expect(until - before).toBeGreaterThanOrEqual(150);
    expect(r.outputs?.until).toBe(new Date(until).toISOString());
    // It did not return before the checkpointed end.
    expect(Date.now()).toBeGreaterThanOrEqual(until);
    expect(seen.progress[0]?.message).toMatch(/left$/);
  });

  it("on resume waits only for what is left of the checkpointed wait", async () => {
    const until = new Date(Date.now() + 100).toISOString();
    const { ctx, seen } = makeContext({ priorCheckpoint: { until }, attempt: 2 });
    // A full wait would be an hour: finishing at all proves the prior end time was used.
    const r = await runAction(waitDuration, { duration: "1h" }, ctx);
    expect(r.outputs?.until).toBe(until);
    expect(seen.checkpoints).toEqual([{ until }]);
    expect(seen.info[0]).toContain("resuming a wait");
  });

  it("returns at once when the checkpointed end has already passed", async () => {
    const until = new Date(Date.now() - 60_000).toISOString();
    const { ctx, seen } = makeContext({ priorCheckpoint: { until } });
    const r = await runAction(waitDuration, { duration: "1h" }, ctx);
    expect(r.outputs?.until).toBe(until);
    expect(seen.progress).toHaveLength(0);
  });

  it("never waits longer than the full duration, whatever the checkpoint says", async () => {
    const far = new Date(Date.now() + 24 * 3_600_000).toISOString();
    const { ctx, seen } = makeContext({ priorCheckpoint: { until: far } });
    const before = Date.now();
    await runAction(waitDuration, { duration: "50ms" }, ctx);
    const until = Date.parse((seen.checkpoints[0] as { until: string }).until);
    expect(until).toBeLessThan(before + 60_000);
  });

  it("ignores a checkpoint that is not its own shape", async () => {
    const { ctx, seen } = makeContext({ priorCheckpoint: { something: "else" } });
    await runAction(waitDuration, { duration: 20 }, ctx);
    expect(seen.info).toHaveLength(0);
    expect(seen.checkpoints).toHaveLength(1);
  });

  it("stops at once when aborted", async () => {
    const controller = new AbortController();
    const { ctx, seen } = makeContext({ signal: controller.signal });
    const running = runAction(waitDuration, { duration: "1h" }, ctx);
    await waitFor(() => seen.progress.length > 0);
    const reason = new Error("operator cancelled");
    controller.abort(reason);
    await expect(running).rejects.toBe(reason);
  });

  it("refuses a malformed duration", () => {
    expect(waitDuration.with.safeParse({ duration: "30 seconds" }).success).toBe(false);
    expect(waitDuration.with.safeParse({}).success).toBe(false);
    expect(waitDuration.with.safeParse({ duration: "1m30s" }).success).toBe(true);
  });
});
