/**
 * A journal edited so that every line is still valid JSON must be refused
 * with JOURNAL_CORRUPT naming the file and line, through the built CLI,
 * never half-understood (a step re-run, an event ignored) and never an
 * [INTERNAL] error. A damaged journal does not hide the other runs.
 */
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { jsonLines, runCli, tmpProject, type CliResult } from "../support/cli.js";

const cutover = (cwd: string, args: string[]): CliResult => runCli(args, { cwd });

const playbook = `
version: 1
name: damage
steps:
  - { id: a, action: wait.duration, with: { duration: 1ms } }
  - { id: ok, action: gate.approval }
  - { id: b, action: wait.duration, with: { duration: 1ms } }
`;

let cleanup: (() => void) | undefined;
afterEach(() => cleanup?.());

function newProject(): { dir: string } {
  // Two environments: an environment holds one open release, and these tests need two paused runs side by side.
  const p = tmpProject({
    "playbook.yaml": playbook,
    "other.yaml": playbook.replace("name: damage", "name: damage-other"),
  });
  cleanup = p.cleanup;
  return p;
}

/** A run paused at its gate: run.started, a's events, run.paused. Returns its id and journal file. */
function pausedRun(dir: string, playbookFile = "playbook.yaml"): { runId: string; file: string } {
  const r = cutover(dir, ["run", playbookFile, "-o", "json"]);
  expect(r.code, r.stderr).toBe(3);
  const runId = String(jsonLines(r.stdout)[0]!.runId);
  return { runId, file: path.join(dir, ".cutover", "runs", `${runId}.jsonl`) };
}

type Line = Record<string, unknown>;
function editJournal(file: string, edit: (lines: Line[]) => Line[]): void {
  const lines = readFileSync(file, "utf8")
    .trimEnd()
    .split("\n")
    .map((l) => JSON.parse(l) as Line);
  writeFileSync(
    file,
    edit(lines)
      .map((l) => JSON.stringify(l) + "\n")
      .join(""),
  );
}
const lineOf = (lines: Line[], type: string) => lines.findIndex((l) => l.type === type);

const edits: [string, (lines: Line[]) => Line[], (lines: Line[]) => number][] = [
  [
    "a renamed event type",
    (ls) => ls.map((l) => (l.type === "step.succeeded" ? { ...l, type: "step.done" } : l)),
    (ls) => lineOf(ls, "step.succeeded") + 1,
  ],
  [
    "a renamed step id",
    (ls) => ls.map((l) => (l.type === "step.started" ? { ...l, stepId: "a2" } : l)),
    (ls) => lineOf(ls, "step.started") + 1,
  ],
  [
    "an event of an unknown type (last line)",
    (ls) => [
      ...ls,
      { seq: ls.length + 1, at: ls.at(-1)!.at, runId: ls[0]!.runId, type: "step.teleported", stepId: "b" },
    ],
    (ls) => ls.length + 1,
  ],
  [
    "an event for a step the playbook lacks",
    (ls) => [
      ...ls,
      {
        seq: ls.length + 1,
        at: ls.at(-1)!.at,
        runId: ls[0]!.runId,
        type: "step.skipped",
        stepId: "nope",
        reason: "operator",
      },
    ],
    (ls) => ls.length + 1,
  ],
  [
    "run.started without its steps",
    (ls) => ls.map((l) => (l.type === "run.started" ? { ...l, steps: undefined } : l)),
    () => 1,
  ],
  [
    "step.failed without its error",
    (ls) => [
      ...ls.slice(0, -1),
      {
        ...ls.at(-1)!,
        type: "step.failed",
        stepId: "ok",
        attempt: 1,
        durationMs: 1,
        reason: undefined,
        message: undefined,
      },
    ],
    (ls) => ls.length,
  ],
];

describe("a damaged journal is named, never half-understood", () => {
  it.each(edits)("%s: status and resume refuse with JOURNAL_CORRUPT at file:line", (_what, edit, expectedLine) => {
    const project = newProject();
    const { runId, file } = pausedRun(project.dir);
    const before = readFileSync(file, "utf8")
      .trimEnd()
      .split("\n")
      .map((l) => JSON.parse(l) as Line);
    const line = expectedLine(before);
    editJournal(file, edit);
    for (const args of [
      ["status", runId],
      ["resume", runId],
    ]) {
      const r = cutover(project.dir, args);
      expect(r.stderr, `${args[0]}: ${r.stdout}`).toContain("[JOURNAL_CORRUPT]");
      expect(r.stderr).toContain(`${file} is damaged at line ${line}`);
      expect(r.stderr).not.toContain("INTERNAL");
      expect(r.code).toBe(1);
    }
    // Nothing ran past the gate: no event of step b was written.
    const after = readFileSync(file, "utf8")
      .trimEnd()
      .split("\n")
      .map((l) => JSON.parse(l) as Line);
    expect(after.filter((l) => l.stepId === "b" && l.type !== "step.teleported")).toEqual([]);
  });

  it("cutover runs lists the good runs and names the damaged one", () => {
    const project = newProject();
    const good = pausedRun(project.dir);
    const bad = pausedRun(project.dir, "other.yaml");
    let damagedLine = 0;
    editJournal(bad.file, (ls) => {
      damagedLine = lineOf(ls, "step.succeeded") + 1;
      return ls.map((l) => (l.type === "step.succeeded" ? { ...l, type: "step.done" } : l));
    });
    const r = cutover(project.dir, ["runs", "-o", "json"]);
    expect(r.code, r.stderr).toBe(0);
    const runs = jsonLines(r.stdout).filter((l) => l.type === "run");
    expect(runs.find((x) => x.runId === good.runId)).toMatchObject({ status: "paused", step: "ok" });
    const damaged = runs.find((x) => x.runId === bad.runId);
    expect(damaged).toMatchObject({ status: "damaged" });
    expect(String(damaged!.damage)).toContain(`line ${damagedLine}:`);
    const text = cutover(project.dir, ["runs"]);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(new RegExp(`${bad.runId}.*damaged`));
    expect(text.stdout).toMatch(new RegExp(`${good.runId}.*paused at ok`));
  });

  it("a journal whose first line is damaged is still listed, as damaged", () => {
    const project = newProject();
    const good = pausedRun(project.dir);
    const bad = pausedRun(project.dir, "other.yaml");
    editJournal(bad.file, (ls) => ls.map((l) => (l.type === "run.started" ? { ...l, type: "run.begun" } : l)));
    const runs = jsonLines(cutover(project.dir, ["runs", "-o", "json"]).stdout).filter((l) => l.type === "run");
    expect(runs.map((x) => x.runId).sort()).toEqual([good.runId, bad.runId].sort());
    expect(runs.find((x) => x.runId === bad.runId)).toMatchObject({ status: "damaged" });
  });

  it("an older cutover refuses a journal of a newer format version, saying so", () => {
    const project = newProject();
    const { runId, file } = pausedRun(project.dir);
    editJournal(file, (ls) => ls.map((l) => (l.type === "run.started" ? { ...l, formatVersion: 99 } : l)));
    for (const args of [
      ["status", runId],
      ["resume", runId],
    ]) {
      const r = cutover(project.dir, args);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain("[JOURNAL_CORRUPT]");
      expect(r.stderr).toMatch(/format version 99.*newer cutover/);
      expect(r.stderr).not.toContain("INTERNAL");
    }
    expect(readdirSync(path.dirname(file))).toEqual([`${runId}.jsonl`]);
  });
});
