/**
 * Shared by the seed playbooks' end-to-end tests (test/seeds/*.test.ts): a project directory per case (its
 * local environment stopped and removed afterwards), a load generator on the public URL, the run's journal
 * read from the file store, the checks on what the traffic saw against the journal's timeline, and a
 * SIGKILL of the CLI at a chosen step.
 */
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, expect } from "vitest";
import { LoadGenerator, type LoadReport, type Sample } from "../../bench/local/loadgen.js";
import { BIN, startCli, type CliProcess, type CliResult } from "../support/cli.js";
import { destroyLocal, ensureBuilt, tempDir } from "../local/env.js";

export interface JournalEvent {
  seq: number;
  at: string;
  type: string;
  stepId?: string;
  [k: string]: unknown;
}

/** Registers the suite's setup and teardown; returns a maker of state directories. */
export function seedSuite(name: string): () => string {
  const roots: string[] = [];
  beforeAll(() => {
    ensureBuilt();
    if (!fs.existsSync(BIN)) throw new Error(`${BIN} is missing: run npm run build`);
  });
  afterAll(async () => {
    for (const d of roots) await destroyLocal(path.join(d, "local"));
    for (const d of roots) fs.rmSync(d, { recursive: true, force: true });
  });
  return () => {
    const d = tempDir(`seed-${name}`);
    roots.push(d);
    return d;
  };
}

/** The run's events, from the file store's journal. */
export function journal(stateDir: string, runId: string): JournalEvent[] {
  return fs
    .readFileSync(path.join(stateDir, "runs", `${runId}.jsonl`), "utf8")
    .split("\n")
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as JournalEvent);
}

const ms = (iso: string) => Date.parse(iso);

/** When `type` happened for `stepId` (the last such event), epoch ms. */
export function timeOf(events: JournalEvent[], type: string, stepId: string): number {
  const e = events.filter((x) => x.type === type && x.stepId === stepId).at(-1);
  if (!e) throw new Error(`no ${type} of ${stepId} in the journal`);
  return ms(e.at);
}

/** A load generator on `url`: mostly reads, some writes (POST /orders), a few fresh connections. */
export function startLoad(url: string, writeRatio = 0.2): LoadGenerator {
  return new LoadGenerator({
    url,
    keepAliveWorkers: 3,
    freshWorkers: 1,
    writeRatio,
    maxRequests: 500_000,
    maxDurationMs: 120_000,
    pauseMs: 2,
  }).start();
}

/** Reads never failed; writes were accepted (201) or refused for maintenance (503), nothing else. */
export function expectReadsNeverFailed(report: LoadReport): void {
  expect(report.total).toBeGreaterThan(50);
  expect(report.connectionErrors).toEqual([]);
  expect(report.samples.filter((s) => s.kind === "read" && s.status !== 200)).toEqual([]);
  expect(report.samples.filter((s) => s.kind === "write" && s.status !== 201 && s.status !== 503)).toEqual([]);
}

/** The refused writes (503) and the window they fell in (first refused start to last refused end), if any. */
export function refusedWrites(report: LoadReport): { refused: Sample[]; windowMs: number; from?: number; to?: number } {
  const refused = report.samples.filter((s) => s.kind === "write" && s.status === 503);
  if (refused.length === 0) return { refused, windowMs: 0 };
  const from = Math.min(...refused.map((s) => s.start));
  const to = Math.max(...refused.map((s) => s.end));
  return { refused, windowMs: to - from, from, to };
}

/** Every refused write was sent after `opened` and answered before `closed` (epoch ms, from the journal). */
export function expectRefusalsWithin(report: LoadReport, opened: number, closed: number): void {
  const outside = refusedWrites(report).refused.filter((s) => s.start < opened - 5 || s.end > closed + 5);
  expect(outside.map((s) => ({ start: new Date(s.start).toISOString(), end: new Date(s.end).toISOString() }))).toEqual(
    [],
  );
}

/**
 * Start `cutover run` and SIGKILL it as soon as `stepId` has started (its step.started line); returns the run id.
 * The kill lands mid-step or just after: either way the journal is the truth and `resume` must finish.
 */
export async function killAtStep(args: string[], stateDir: string, stepId: string, env: NodeJS.ProcessEnv = {}) {
  const proc: CliProcess = startCli(["run", ...args], { stateDir, json: true, env });
  const started = await proc.waitFor((e) => e.type === "run.started");
  await proc.waitFor((e) => e.type === "step.started" && e.stepId === stepId);
  proc.child.kill("SIGKILL");
  await proc.done.catch(() => undefined);
  return String(started.runId);
}

/**
 * A CLI command run asynchronously (never spawnSync: the load generator runs in this process and must keep
 * sending while cutover works).
 */
export function cutover(args: string[], stateDir: string, env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  return startCli(args, { stateDir, json: true, env }).done;
}

/** A deterministic pick from `items`, seeded (printed, so a failure can be replayed with SEED_PICK=n). */
export function seededPick<T>(items: readonly T[], label: string): T {
  const seed = Number(process.env.SEED_PICK ?? Math.floor(Math.random() * 1_000_000));
  console.log(`${label}: seed ${seed} (replay with SEED_PICK=${seed})`);
  return items[seed % items.length]!;
}
