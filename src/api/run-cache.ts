/**
 * A per-run cache of derived facts, beside the state it derives from (`<state-dir>/cache/<run-id>.json`), so that
 * `cutover status` need not re-read a 10,000-event journal and re-validate its playbook on every look
 * (bench/engine/RESULTS.md). Nothing in it is a source of truth: every entry says what it was derived from and
 * is used only while that still holds (api/fold-cache.ts, api/status-facts.ts); a missing, unreadable, foreign
 * or outdated file is ignored and rewritten. It holds nothing the journal does not (docs/design.md).
 */
import { promises as fs, readFileSync } from "node:fs";
import path from "node:path";
import { writeFileAtomic } from "../core/atomic-write.js";
import { CUTOVER_VERSION } from "../core/version.js";
import type { RunState } from "../engine/reducer.js";
import type { JournalPrefix } from "../providers/file/run-store.js";
import type { PlaybookFacts } from "./status-facts.js";

/** Bumped whenever what the cache holds, or how the reducer folds, changes meaning. */
const CACHE_FORMAT = 2;

export interface FoldSnapshot {
  /** The journal's bytes through the last event folded: read later, the journal must still begin with them. */
  prefix: JournalPrefix;
  /** The state after folding events 1..prefix.seq. */
  state: RunState;
}

export interface RunCache {
  fold?: FoldSnapshot;
  playbook?: PlaybookFacts;
}

interface CacheFile extends RunCache {
  format: number;
  /** The cutover that wrote it: another version may fold differently, so its cache is ignored. */
  cutover: string;
  runId: string;
}

export function runCacheFile(stateDir: string, runId: string): string {
  return path.join(path.resolve(stateDir), "cache", `${runId}.json`);
}

export async function readRunCache(stateDir: string, runId: string): Promise<RunCache> {
  try {
    // Synchronous: a thread-pool round trip costs more than reading a local file this size.
    const c = JSON.parse(readFileSync(runCacheFile(stateDir, runId), "utf8")) as Partial<CacheFile>;
    if (c.format !== CACHE_FORMAT || c.cutover !== CUTOVER_VERSION || c.runId !== runId) return {};
    return { fold: c.fold, playbook: c.playbook };
  } catch {
    return {};
  }
}

/** Best effort: a cache that cannot be written (read-only state directory, full disk) only costs speed. */
export async function writeRunCache(stateDir: string, runId: string, cache: RunCache): Promise<void> {
  const file = runCacheFile(stateDir, runId);
  const body: CacheFile = { format: CACHE_FORMAT, cutover: CUTOVER_VERSION, runId, ...cache };
  try {
    await fs.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
    await writeFileAtomic(file, JSON.stringify(body));
  } catch {
    /* see above */
  }
}
