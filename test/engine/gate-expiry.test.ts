/**
 * A gate's expiry is resolved through the gate action's schema when the run
 * pauses at it (so `${{ params.ttl }}` works like a literal) and journaled
 * with the pause (`expiresAt`, `onExpiry`): the engine never reads the raw
 * `with` again, and a resumed run applies what was journaled.
 */
import { afterEach, describe, expect, it } from "vitest";
import { harness, type Harness } from "./harness.js";

let h: Harness | undefined;
afterEach(() => h?.cleanup());

const playbook = (expiresAfter: string, onExpiry: string) => `
version: 1
name: expiry
params:
  ttl: { type: string, default: 1h }
  then: { type: string, default: abort }
steps:
  - { id: a, action: test.work }
  - { id: ok, action: gate.approval, with: { message: "go?", expiresAfter: ${expiresAfter}, onExpiry: ${onExpiry} } }
  - { id: b, action: test.work }
`;

describe("gate expiry", () => {
  it("expiresAfter and onExpiry from params: the gate expires and aborts", async () => {
    h = harness(playbook('"${{ params.ttl }}"', '"${{ params.then }}"'));
    const { runner, journal } = await h.start({ ttl: "1h", then: "abort" });
    expect((await runner.drive()).status).toBe("paused");
    const paused = h.events.find((e) => e.type === "run.paused");
    expect(paused).toMatchObject({ reason: "approval", stepId: "ok", onExpiry: "abort" });
    expect(Date.parse(String((paused as { expiresAt?: string }).expiresAt))).toBe(Date.parse(paused!.at) + 3_600_000);

    await h.clock.advance(59 * 60_000);
    expect((await (await h.reopen(journal.runId)).runner.drive()).status).toBe("paused");
    await h.clock.advance(60_000);
    const s = await (await h.reopen(journal.runId)).runner.drive();
    expect(s.status).toBe("aborted");
    expect(s.steps.ok!.error?.message).toContain("expired");
    expect(h.world.undone).toEqual(["a"]);
    expect(h.world.runs.has("b")).toBe(false);
  });

  it.each([
    ["fail", "paused"],
    ["abort", "aborted"],
    ["approve", "succeeded"],
  ])("literal onExpiry %s applies when the run is next driven after expiry", async (onExpiry, expected) => {
    h = harness(playbook("50ms", onExpiry));
    const { runner, journal } = await h.start();
    expect((await runner.drive()).status).toBe("paused");
    // Not expired yet: driving again keeps it paused and appends nothing.
    const before = journal.state.lastSeq;
    expect((await (await h.reopen(journal.runId)).runner.drive()).status).toBe("paused");
    expect((await h.reopen(journal.runId)).journal.state.lastSeq).toBe(before);
    await h.clock.advance(50);
    const s = await (await h.reopen(journal.runId)).runner.drive();
    expect(s.status).toBe(expected);
    if (onExpiry === "fail") expect(s.steps.ok!.error?.message).toContain("expired");
    if (onExpiry === "abort") expect(h.world.undone).toEqual(["a"]);
    if (onExpiry === "approve") expect(s.steps.ok!.approvedBy?.user).toBe("tester");
  });

  it("an expiry that resolves to an invalid duration fails the step, located, instead of never expiring", async () => {
    h = harness(playbook('"${{ params.ttl }}"', "abort"));
    const { runner } = await h.start({ ttl: "soon", then: "abort" });
    const s = await runner.drive();
    expect(s.steps.ok!.status).toBe("failed");
    expect(s.steps.ok!.error?.message).toContain("with.expiresAfter");
  });
});
