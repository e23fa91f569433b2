/**
 * Typed undo records and checkpoints: the engine parses what a step journaled with the schemas its action
 * declares (`records`, `checkpoints`) before handing it back. A record of another shape (a journal written
 * by another version, or edited) is a typed error naming the step that pauses the abort, not a crash inside
 * the action's undo.
 */
import { afterEach, describe, expect, it } from "vitest";
import { CutoverError, ErrorCode } from "../../src/core/errors.js";
import { parseCheckpoint, parseRecorded } from "../../src/core/journaled.js";
import { localSwap } from "../../src/actions/local-swap.js";
import { harness, type Harness } from "./harness.js";

let h: Harness | undefined;
afterEach(() => h?.cleanup());

const playbook = (record: string) => `
version: 1
name: typed
steps:
  - { id: one, action: test.typed, with: { record: ${record} } }
  - { id: two, action: test.work, onFailure: abort }
`;

describe("journaled records and checkpoints", () => {
  it("undo receives the record parsed with the action's schema", async () => {
    h = harness(playbook(`{ slot: green }`));
    h.world.failTimes.set("two", 1);
    const s = await (await h.start()).runner.drive();
    expect(s.status).toBe("aborted");
    expect(h.world.undone).toEqual(["one: green"]);
  });

  it("a record of another shape fails that step's undo with JOURNAL_RECORD_INVALID and pauses the abort", async () => {
    h = harness(playbook(`{ slot: 7 }`));
    h.world.failTimes.set("two", 1);
    const s = await (await h.start()).runner.drive();
    expect(s.status).toBe("paused");
    expect(h.world.undone).toEqual([]);
    expect(s.steps.one!.undo.status).toBe("failed");
    const failed = h.events.find((e) => e.type === "undo.failed");
    expect(failed).toMatchObject({ stepId: "one", error: { code: ErrorCode.JournalRecord, retryable: false } });
    const message = (failed as { error: { message: string } }).error.message;
    expect(message).toContain("record of step one");
    expect(message).toContain("test.typed");
    expect(message).toContain("slot");
  });

  it("parses a real action's record and checkpoint; refuses a wrong one with a typed error naming the step", () => {
    expect(parseRecorded(localSwap, "swap", { previous: "blue", live: "green" })).toEqual({
      previous: "blue",
      live: "green",
    });
    expect(parseRecorded(localSwap, "swap", null)).toBeNull();
    expect(parseCheckpoint(localSwap, "swap", undefined)).toBeUndefined();
    expect(parseCheckpoint(localSwap, "swap", { from: "green", to: "blue" })).toEqual({ from: "green", to: "blue" });
    let error: unknown;
    try {
      parseCheckpoint(localSwap, "swap[eu]", { from: "purple", to: "blue" });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(CutoverError);
    expect(error).toMatchObject({ code: ErrorCode.JournalRecord, retryable: false });
    expect((error as Error).message).toMatch(/checkpoint of step swap\[eu\] is not what local\.swap writes \(from: /);
  });
});
