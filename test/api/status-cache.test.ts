/**
 * `cutover status` folds a run's journal from a cached snapshot and reuses the playbook's facts while the file is
 * unchanged (api/run-view.ts, fold-cache.ts, run-cache.ts). What it shows must be what a fold of the whole
 * journal and a fresh validation of the playbook show, whatever the journal did since the snapshot.
 */
import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { abortPreview, readRun } from "../../src/api/inspect.js";
import { foldFromSnapshot } from "../../src/api/fold-cache.js";
import { readRunCache, runCacheFile } from "../../src/api/run-cache.js";
import { readRunView } from "../../src/api/run-view.js";
import { playbookFacts } from "../../src/api/status-facts-build.js";
import { isCutoverError, ErrorCode } from "../../src/core/errors.js";
import type { RunEvent } from "../../src/engine/events.js";
import { foldRun } from "../../src/engine/reducer.js";
import { FileRunStore } from "../../src/providers/file/run-store.js";
import { requireBuilt, runCli, tmpProject } from "../support/cli.js";

// A release with the events on-call meets: flags, a failure and its retry, a cleanup that also runs for a failed
// step, a data barrier, a gate, and an abort that stops at the barrier.
const PLAYBOOK = `version: 1
name: status-cache
environment:
  flags: { provider: file }
steps:
  - id: maintenance-on
    action: flag.set
    with: { name: Maintenance, value: true }
  - id: flaky
    action: exec
    with:
      command: ["node", "-e", "if (!require('fs').existsSync('ok')) { require('fs').writeFileSync('ok', ''); process.exit(1) }"]
    undo:
      action: exec
      with: { command: ["node", "-e", "0"] }
      alsoWhenFailed: true
  - id: uses-a-secret
    action: exec
    with: { command: ["node", "-e", "console.log('key', process.argv[1])", "\${{ secrets.API_KEY }}"] }
    undo: false
  - id: read-write
    action: flag.set
    with: { name: ReadOnly, value: false }
    barrier: { reason: users write again }
  - id: approve
    action: gate.approval
    with: { message: "swap?" }
  - id: after
    action: flag.set
    with: { name: After, value: 1 }
`;

const SECRET = "s3cr3t-api-key-value";
let project: ReturnType<typeof tmpProject>;
let stateDir: string;
let runId: string;
let journal: string;
const env = { ...process.env, API_KEY: SECRET };

const lines = () => fs.readFileSync(journal, "utf8").split("\n").filter(Boolean);
const events = () => lines().map((l) => JSON.parse(l) as RunEvent);
const sha = (text: string) => createHash("sha256").update(text).digest("hex");
/** What a reader would have cached after folding the first `k` events (through JSON, as the cache stores it). */
const snapshotAt = (k: number) => {
  const prefix = lines().slice(0, k).join("\n") + "\n";
  return {
    prefix: { seq: k, bytes: Buffer.byteLength(prefix), sha256: sha(prefix) },
    state: JSON.parse(JSON.stringify(foldRun(events().slice(0, k)))) as ReturnType<typeof foldRun>,
  };
};
const viaJson = <T>(x: T): T => JSON.parse(JSON.stringify(x)) as T;

/** Run `fn` on a copy of the state directory (its journal to damage), removed afterwards. */
async function inCopy(fn: (dir: string, journalFile: string) => Promise<void>): Promise<void> {
  const copy = tmpProject();
  try {
    const dir = path.join(copy.dir, ".cutover");
    fs.cpSync(stateDir, dir, { recursive: true });
    await fn(dir, path.join(dir, "runs", `${runId}.jsonl`));
  } finally {
    copy.cleanup();
  }
}

beforeAll(() => {
  requireBuilt();
  project = tmpProject({ "playbook.yaml": PLAYBOOK });
  stateDir = path.join(project.dir, ".cutover");
  const cli = (args: string[]) => runCli(args, { cwd: project.dir, env, json: true });
  const first = cli(["run", "playbook.yaml"]);
  expect(first.code).toBe(3); // flaky failed: paused for a decision
  runId = JSON.parse(first.stdout.split("\n")[0]!).runId as string;
  expect(cli(["retry", runId]).code).toBe(3); // then paused at the gate
  journal = path.join(stateDir, "runs", `${runId}.jsonl`);
}, 60_000);

afterAll(() => project?.cleanup());

describe("a status served from the run's cache", () => {
  it("is warm from the start: the command that drove the run left the playbook's facts in the cache", async () => {
    const cached = (await readRunCache(stateDir, runId)).playbook;
    const { state } = await readRun(runId, { stateDir });
    const file = path.join(project.dir, "playbook.yaml");
    expect(cached).toEqual(playbookFacts(state.playbook.file, fs.readFileSync(file, "utf8"), state));
    expect(state.playbook.file).toBe(file);
  });

  it("folds to the same state from a snapshot taken after any event", async () => {
    const store = new FileRunStore({ dir: stateDir });
    const all = events();
    expect(all.length).toBeGreaterThan(15);
    const whole = viaJson(foldRun(all));
    for (let k = 1; k <= all.length; k++) {
      const { state, snapshot } = await foldFromSnapshot(store, runId, snapshotAt(k));
      expect(viaJson(state), `snapshot after event ${k}`).toEqual(whole);
      expect(snapshot?.prefix.seq, `snapshot kept after event ${k}`).toBe(all.length);
    }
  });

  it("does not trust a snapshot of bytes the journal no longer begins with (cut, replaced, edited)", async () => {
    const store = new FileRunStore({ dir: stateDir });
    const whole = viaJson(foldRun(events()));
    // Each snapshot's state says the run finished, which this journal does not: trusting it would show that.
    const end = snapshotAt(events().length);
    const lie = { ...whole, status: "succeeded" as const };
    const cases = {
      // of a longer journal than there is (a state directory restored from an older copy)
      longer: { ...end.prefix, seq: end.prefix.seq + 5, bytes: end.prefix.bytes + 500 },
      // of another run with the same id, or of this one before a line was edited: same length, other bytes
      edited: { ...end.prefix, sha256: sha("other bytes") },
      // a prefix that ends mid-line
      midLine: { ...end.prefix, bytes: end.prefix.bytes - 3 },
    };
    for (const [name, prefix] of Object.entries(cases))
      expect(viaJson((await foldFromSnapshot(store, runId, { prefix, state: lie })).state), name).toEqual(whole);
  });

  it("names a line damaged before the snapshot's end as it did without a cache", async () => {
    await inCopy(async (dir, file) => {
      const snapshot = snapshotAt(events().length);
      const text = fs.readFileSync(file, "utf8").split("\n");
      text[2] = text[2]!.replace('"type":"', '"type":"x');
      fs.writeFileSync(file, text.join("\n"));
      const failure = await foldFromSnapshot(new FileRunStore({ dir }), runId, snapshot).catch((e: unknown) => e);
      expect(isCutoverError(failure, ErrorCode.JournalCorrupt)).toBe(true);
      expect((failure as Error).message).toContain("line 3");
    });
  });

  it("still checks what was appended after the snapshot: a damaged line is JOURNAL_CORRUPT, not skipped", async () => {
    await inCopy(async (dir, file) => {
      const snapshot = snapshotAt(events().length);
      const last = events().at(-1)!;
      fs.appendFileSync(file, JSON.stringify({ ...last, seq: last.seq + 1, type: "no.such.event" }) + "\n");
      fs.appendFileSync(file, JSON.stringify({ ...last, seq: last.seq + 2 }) + "\n");
      const failure = await foldFromSnapshot(new FileRunStore({ dir }), runId, snapshot).catch((e: unknown) => e);
      expect(isCutoverError(failure, ErrorCode.JournalCorrupt)).toBe(true);
    });
  });

  it("shows what a full read shows, masks the run's secrets, and follows a playbook edited since", async () => {
    const expected = async () => {
      const { state, lease, loaded } = await readRun(runId, { stateDir, redacted: true, env });
      return viaJson({ state, lease, undo: abortPreview(state, loaded) });
    };
    fs.rmSync(path.join(stateDir, "cache"), { recursive: true, force: true });
    const cold = viaJson(await readRunView(runId, { stateDir, env }));
    expect(cold).toEqual(await expected());
    expect(JSON.stringify(cold)).not.toContain(SECRET);
    expect(cold.undo.map((u) => `${u.id}:${u.undo}${u.behindBarrier ? " behind" : ""}`)).toEqual([
      "read-write:recorded behind",
      "uses-a-secret:disabled behind",
      "flaky:override behind",
      "maintenance-on:recorded behind",
    ]);
    const cache = await readRunCache(stateDir, runId);
    expect(cache.playbook?.secretNames).toEqual(["API_KEY"]);
    // Served from the cache: the same.
    expect(viaJson(await readRunView(runId, { stateDir, env }))).toEqual(cold);
    // The playbook changed (the cleanup is switched off): its facts are derived again.
    const file = path.join(project.dir, "playbook.yaml");
    const original = fs.readFileSync(file, "utf8");
    try {
      const marker = "    with: { name: Maintenance, value: true }\n";
      fs.writeFileSync(file, original.replace(marker, `${marker}    undo: false\n`));
      const edited = viaJson(await readRunView(runId, { stateDir, env }));
      expect(edited.undo.find((u) => u.id === "maintenance-on")?.undo).toBe("disabled");
      expect(edited).toEqual(await expected());
    } finally {
      fs.writeFileSync(file, original);
    }
  });

  it("ignores a cache file it cannot use (garbage, another run's, another version's) and rewrites it", async () => {
    const file = runCacheFile(stateDir, runId);
    const good = viaJson(await readRunView(runId, { stateDir, env }));
    for (const junk of ["{not json", JSON.stringify({ format: 1, cutover: "0.0.0-other", runId }), "[]"]) {
      fs.writeFileSync(file, junk);
      expect(viaJson(await readRunView(runId, { stateDir, env }))).toEqual(good);
      expect((await readRunCache(stateDir, runId)).playbook).toBeDefined();
    }
  });

  it("the built CLI's status shows the same screen cold and warm", () => {
    fs.rmSync(path.join(stateDir, "cache"), { recursive: true, force: true });
    const cold = runCli(["status", runId], { cwd: project.dir, env });
    const warm = runCli(["status", runId], { cwd: project.dir, env });
    expect(cold.code).toBe(0);
    expect(cold.stdout).toContain("PAUSED at approve");
    expect(cold.stdout).not.toContain(SECRET);
    // Elapsed times move between the two looks.
    const stable = (s: string) => s.replace(/\b\d+(?:\.\d+)?(?:ms|[smhd])(?:\d+(?:ms|[smhd]))*\b/g, "<t>");
    expect(stable(warm.stdout)).toEqual(stable(cold.stdout));
    expect(fs.existsSync(runCacheFile(stateDir, runId))).toBe(true);
  });
});
