/**
 * The journal check both stores share (src/engine/journal-check.ts): the file
 * store per line, Table Storage per entity (decodeEvents). A damaged Table
 * journal is named by its entity, as a file journal is by its line.
 */
import { describe, expect, it } from "vitest";
import type { RunEvent, RunEventBody } from "../../src/engine/events.js";
import { JOURNAL_FORMAT_VERSION } from "../../src/engine/events.js";
import { assertWritable, JournalChecker } from "../../src/engine/journal-check.js";
import { decodeEvents, encodeEvent } from "../../src/providers/azure/table-entities.js";
import { ErrorCode } from "../../src/core/errors.js";
import { startedEvent, stepStarted } from "../store-contract.js";

const at = "2026-01-01T00:00:00.000Z";
const stored = (bodies: RunEventBody[], runId = "r1"): RunEvent[] =>
  bodies.map((b, i) => ({ ...b, runId, seq: i + 1, at }) as RunEvent);
const entities = (events: object[]) => events.map((e) => encodeEvent("run~r1", e as RunEvent));

describe("the shared journal check", () => {
  it("accepts a journal of format 1 (no version) and of the current format", () => {
    for (const formatVersion of [undefined, JOURNAL_FORMAT_VERSION]) {
      const checker = new JournalChecker("r1");
      for (const e of stored([
        { ...startedEvent("prod"), ...(formatVersion ? { formatVersion } : {}) } as RunEventBody,
        stepStarted("deploy"),
      ])) {
        expect(checker.next(JSON.parse(JSON.stringify(e)))).toMatchObject({ ok: true });
      }
    }
  });

  it.each([
    ["an unknown type", { type: "step.teleported", stepId: "deploy" }, /unknown event type "step.teleported"/],
    ["a missing field", { type: "step.failed", stepId: "deploy", attempt: 1, durationMs: 1 }, /step.failed: error/],
    [
      "a step the run never planned",
      { type: "step.started", stepId: "nope", attempt: 1 },
      /step "nope", which this run never planned/,
    ],
    ["a second run.started", startedEvent("prod"), /a second run.started/],
    ["a mistyped field", { type: "step.started", stepId: "deploy", attempt: "1" }, /attempt/],
  ])("Table Storage: refuses %s, naming the entity", (_what, body, why) => {
    const events = [...stored([startedEvent("prod"), stepStarted("deploy")]), { ...body, runId: "r1", seq: 3, at }];
    let error: unknown;
    try {
      decodeEvents(entities(events), "r1");
    } catch (e) {
      error = e;
    }
    expect(error).toMatchObject({ code: ErrorCode.JournalCorrupt });
    expect((error as Error).message).toContain("damaged at entity e-0000000003");
    expect((error as Error).message).toMatch(why);
  });

  it("Table Storage: refuses a newer format version with a hint to upgrade", () => {
    const events = stored([{ ...startedEvent("prod"), formatVersion: JOURNAL_FORMAT_VERSION + 1 } as RunEventBody]);
    expect(() => decodeEvents(entities(events), "r1")).toThrow(
      new RegExp(`format version ${JOURNAL_FORMAT_VERSION + 1} by a newer cutover`),
    );
  });

  it("refuses to write what it would refuse to read", () => {
    expect(() => assertWritable([stepStarted("a")], "r1", 0)).toThrow(/starts with run.started/);
    expect(() => assertWritable([{ type: "step.started", stepId: "a" }], "r1", 1)).toThrow(/attempt/);
    expect(() => assertWritable([startedEvent("prod")], "r1", 3)).toThrow(/a second run.started/);
    expect(() => assertWritable([startedEvent("prod"), stepStarted("deploy")], "r1", 0)).not.toThrow();
  });
});
