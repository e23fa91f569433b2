/**
 * The run report's model over a journal with known times: a failed attempt and its automatic retry, a gate a
 * person approved a minute later, a failed step that waited for a decision, and an abort with undos. Machine
 * time and human wait are exact sums here, so a change that mixes them up fails.
 */
import { describe, expect, it } from "vitest";
import { XMLParser, XMLValidator } from "fast-xml-parser";
import type { Actor, RunEvent, RunEventBody } from "../../src/engine/events.js";
import { reportFromEvents } from "../../src/api/report.js";
import { renderMarkdown } from "../../src/api/report-md.js";
import { renderHtml } from "../../src/api/report-html.js";

const T0 = Date.parse("2026-03-01T10:00:00.000Z");
const alice: Actor = { user: "alice", host: "laptop", pid: 11 };
const bob: Actor = { user: "bob", host: "oncall", pid: 12 };

/** A journal from (seconds after T0, body) pairs. */
function journal(entries: [number, RunEventBody][]): RunEvent[] {
  return entries.map(([s, body], i) => ({
    ...body,
    runId: "r1",
    seq: i + 1,
    at: new Date(T0 + s * 1000).toISOString(),
  })) as RunEvent[];
}

const steps = ["prep", "flaky", "gate", "swap"].map((id) => ({ id, stepId: id }));
const err = { code: "STEP_FAILED", message: "exit 1" };
const ABORTED = journal([
  [
    0,
    {
      type: "run.started",
      playbook: { name: "web", file: "/x/web.yaml", hash: "a".repeat(64) },
      environment: "prod",
      params: {},
      secretParams: [],
      steps,
      by: alice,
      cutoverVersion: "0.1.0",
      formatVersion: 3,
    },
  ],
  [0, { type: "run.admitted", generation: 1 }],
  [0.1, { type: "step.started", stepId: "prep", attempt: 1 }],
  [1, { type: "step.succeeded", stepId: "prep", attempt: 1, outputs: {}, recorded: null, durationMs: 900 }],
  [1, { type: "step.started", stepId: "flaky", attempt: 1 }],
  [2, { type: "step.failed", stepId: "flaky", attempt: 1, error: err, durationMs: 1000, retryInMs: 2000 }],
  [4, { type: "step.started", stepId: "flaky", attempt: 2 }],
  [5, { type: "step.succeeded", stepId: "flaky", attempt: 2, outputs: {}, recorded: null, durationMs: 1000 }],
  [5, { type: "run.paused", reason: "approval", stepId: "gate", message: "gate waits for approval: Swap?" }],
  [65, { type: "gate.approved", stepId: "gate", by: alice, note: "canary is clean" }],
  [65.5, { type: "run.resumed", by: alice }],
  [65.5, { type: "step.started", stepId: "gate", attempt: 1 }],
  [65.5, { type: "step.succeeded", stepId: "gate", attempt: 1, outputs: {}, recorded: null, durationMs: 0 }],
  [66, { type: "step.started", stepId: "swap", attempt: 1 }],
  [67, { type: "step.failed", stepId: "swap", attempt: 1, error: err, durationMs: 1000 }],
  [67, { type: "run.paused", reason: "failure", stepId: "swap", message: "step swap failed: exit 1" }],
  [127, { type: "abort.requested", by: bob, reason: "swap broken" }],
  [127, { type: "undo.skipped", stepId: "gate", reason: "nothing-to-undo" }],
  [127, { type: "undo.started", stepId: "flaky", attempt: 1 }],
  [127.5, { type: "undo.succeeded", stepId: "flaky", attempt: 1, durationMs: 500 }],
  [127.5, { type: "undo.started", stepId: "prep", attempt: 1 }],
  [128.5, { type: "undo.succeeded", stepId: "prep", attempt: 1, durationMs: 1000 }],
  [128.5, { type: "undo.skipped", stepId: "swap", reason: "not-completed" }],
  [129, { type: "run.finished", outcome: "aborted" }],
]);

describe("run report", () => {
  const r = reportFromEvents(ABORTED);

  it("separates machine time from human wait, with exact totals", () => {
    expect(r.totals).toEqual({
      wallMs: 129_000,
      humanWaitMs: 120_000, // the gate (60 s to alice's approval) and the failed swap (60 s to bob's abort)
      stoppedMs: 0,
      machineMs: 9_000,
      executingMs: 3_900, // prep 0.9 + flaky 1 + 1 + gate 0 + swap 1
      undoingMs: 1_500,
      retryBackoffMs: 2_000,
    });
  });

  it("lists each attempt, each undo, each wait with who ended it, and who did what", () => {
    const flaky = r.steps.find((s) => s.id === "flaky")!;
    expect(flaky.attempts.map((a) => [a.attempt, a.result, a.durationMs, a.retryInMs])).toEqual([
      [1, "failed", 1000, 2000],
      [2, "succeeded", 1000, undefined],
    ]);
    expect(flaky.attempts[0]!.error).toEqual(err);
    expect(flaky.undos).toEqual([
      expect.objectContaining({ result: "succeeded", durationMs: 500, startedAt: "2026-03-01T10:02:07.000Z" }),
    ]);
    expect(r.steps.find((s) => s.id === "swap")!.undos).toEqual([
      expect.objectContaining({ result: "skipped", reason: "not-completed" }),
    ]);
    expect(r.steps.find((s) => s.id === "gate")!.approvedBy).toBe("alice@laptop");
    expect(r.waits.map((w) => [w.kind, w.stepId, w.durationMs, w.endedBy])).toEqual([
      ["gate", "gate", 60_000, { action: "approved", by: "alice@laptop", note: "canary is clean" }],
      ["decision", "swap", 60_000, { action: "abort", by: "bob@oncall", note: "swap broken" }],
    ]);
    expect(r.actions.map((a) => [a.by, a.action, a.stepId, a.note])).toEqual([
      ["alice@laptop", "approve", "gate", "canary is clean"],
      ["alice@laptop", "resume", undefined, undefined],
      ["bob@oncall", "abort", undefined, "swap broken"],
    ]);
    expect(r).toMatchObject({ status: "aborted", outcome: "aborted", startedBy: "alice@laptop" });
  });

  it("measures an open run up to now: the wait at a gate is still running", () => {
    const open = reportFromEvents(ABORTED.slice(0, 9), new Date(T0 + 95_000));
    expect(open.status).toBe("paused");
    expect(open.waits).toEqual([expect.objectContaining({ kind: "gate", durationMs: 90_000 })]);
    expect(open.waits[0]!.until).toBeUndefined();
    expect(open.totals).toMatchObject({ wallMs: 95_000, humanWaitMs: 90_000, machineMs: 5_000 });
  });

  it("counts an interrupted run's standstill as stopped, and the cut attempt as interrupted", () => {
    const events = journal([
      [0, { ...(ABORTED[0] as RunEventBody) }],
      [1, { type: "step.started", stepId: "prep", attempt: 1 }],
      [3, { type: "run.interrupted", signal: "SIGINT", stepId: "prep" }],
      [603, { type: "run.resumed", by: bob }],
      [603, { type: "step.started", stepId: "prep", attempt: 2 }],
      [604, { type: "step.succeeded", stepId: "prep", attempt: 2, outputs: {}, recorded: null, durationMs: 1000 }],
    ]);
    const open = reportFromEvents(events, new Date(T0 + 605_000));
    expect(open.steps[0]!.attempts.map((a) => a.result)).toEqual(["interrupted", "succeeded"]);
    expect(open.totals).toMatchObject({ stoppedMs: 600_000, humanWaitMs: 0, wallMs: 605_000, machineMs: 5_000 });
  });

  it("renders Markdown tables with the waits and the people", () => {
    const md = renderMarkdown(r);
    expect(md).toContain("| **human wait** (gates, decisions) | **2m** |");
    expect(md).toContain("| **machine** (cutover working) | **9s** |");
    expect(md).toContain(
      "| gate (person) | gate | 10:00:05 | 10:01:05 | 1m | approved by alice@laptop: canary is clean |",
    );
    expect(md).toContain("| flaky | 1 | 10:00:01 | 10:00:02 | 1s | failed, retried after 2s | [STEP_FAILED] exit 1 |");
    expect(md).toContain("| 10:02:07 | bob@oncall | abort | — | swap broken |");
  });

  it("renders one self-contained HTML file: well-formed, an SVG timeline, no external URL, no script", () => {
    const html = renderHtml(r);
    expect(XMLValidator.validate(html)).toBe(true);
    const doc = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: "" }).parse(html) as {
      html: { body: { svg: { rect: { class: string }[] } } };
    };
    const rects = doc.html.body.svg.rect.map((x) => x.class);
    expect(rects.filter((c) => c.startsWith("attempt "))).toHaveLength(5);
    expect(rects.filter((c) => c.startsWith("undo "))).toHaveLength(2);
    expect(rects.filter((c) => c.startsWith("wait "))).toEqual(["wait gate", "wait decision"]);
    expect(html).not.toMatch(/(src|href)\s*=\s*["']?\s*(https?:)?\/\//i);
    expect(html).not.toMatch(/<script|<link|<img|@import|url\(\s*["']?https?:/i);
  });

  it("draws long waits shortened, so the steps of a run that waited two minutes for 9 s of work stay visible", () => {
    const html = renderHtml(r);
    expect(html.match(/1m \(shortened\)/g)).toHaveLength(2); // both one-minute waits
    const widths = [...html.matchAll(/<rect class="(attempt|wait) [^"]*" x="[\d.]+" y="[\d.]+" width="([\d.]+)"/g)].map(
      (m) => [m[1], Number(m[2])] as const,
    );
    const waits = widths.filter(([k]) => k === "wait").map(([, w]) => w);
    const attempts = widths.filter(([k]) => k === "attempt").map(([, w]) => w);
    // Linear, a 1 s attempt of this 129 s run would be 6 px of 800 and each wait 372 px.
    expect(Math.max(...waits)).toBeLessThanOrEqual(48);
    expect(Math.max(...attempts)).toBeGreaterThan(60);
  });

  it("escapes what the journal holds (a step's error is text, never markup)", () => {
    const hostile = journal([
      [0, { ...(ABORTED[0] as RunEventBody) }],
      [1, { type: "step.started", stepId: "prep", attempt: 1 }],
      [
        2,
        {
          type: "step.failed",
          stepId: "prep",
          attempt: 1,
          error: { code: "STEP_FAILED", message: '<img src="https://evil.test/x.png"> | pipe' },
          durationMs: 1000,
        },
      ],
    ]);
    const rep = reportFromEvents(hostile, new Date(T0 + 3000));
    expect(renderHtml(rep)).not.toContain("<img");
    expect(renderHtml(rep)).toContain("&lt;img src=&quot;https://evil.test/x.png&quot;&gt;");
    expect(renderMarkdown(rep)).toContain("\\| pipe");
  });
});
