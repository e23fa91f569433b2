/**
 * A run store between real processes (test/file-store/multi-process.test.ts,
 * test/pg-store/multi-process.test.ts): child scripts run against the store's
 * transpiled sources, and racers are released together through stdin once
 * each says it is ready, so they really race. Each store's scripts construct
 * `store` their own way; the race bodies and what the test expects of them
 * are the same for every store.
 */
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, expect } from "vitest";
import { ErrorCode } from "../../src/core/errors.js";
import { tempDir } from "../file-store/helpers.js";
import { runNode, type Child } from "./processes.js";
import { transpileClosure } from "./transpile.js";

/** Script lines: say "ready", then wait for the test's "go" on stdin. */
const AWAIT_GO = `console.log("ready");
await new Promise((r) => process.stdin.once("data", r));`;

/**
 * Script body: append until the journal holds `target` events, each time at the last seq it read; prints
 * `{ me, wins, conflicts }`. Needs `store`, `runId`, `me` and `target` in scope.
 */
export const APPEND_RACE = `${AWAIT_GO}
const wins = [];
let conflicts = 0;
for (;;) {
  const last = (await store.read(runId)).length;
  if (last >= Number(target)) break;
  try {
    const [e] = await store.append(runId, [{ type: "step.started", stepId: me, attempt: last + 1 }], last);
    wins.push(e.seq);
  } catch (e) {
    if (e.code !== "JOURNAL_CONFLICT") throw e;
    conflicts++;
  }
}
console.log(JSON.stringify({ me, wins, conflicts }));`;

/**
 * Script body: try once to take `env`'s lease for `ttlMs`; prints `{ me, token, acquiredAt, expiresAt }` or
 * `{ me, error, message }`. Needs `store`, `env`, `me` and `ttlMs` in scope.
 */
export const LEASE_RACE = `${AWAIT_GO}
try {
  const lease = await store.acquireLease({ environment: env, holder: me, runId: me, ttlMs: Number(ttlMs) });
  console.log(JSON.stringify({ me, token: lease.token, acquiredAt: lease.acquiredAt, expiresAt: lease.expiresAt }));
} catch (e) {
  console.log(JSON.stringify({ me, error: e.code, message: e.message }));
}`;

export interface StoreProcesses<N extends string> {
  /** The work directory: the transpiled store and the scripts. */
  dir(): string;
  /** Each script's file, by name (written before the tests). */
  scripts: Record<N, string>;
  /** Start a script; whatever still runs is SIGKILLed after the tests. */
  start(script: string, args: string[]): Child;
  /** Start `n` children, release them together once each is ready, and return what each printed after "ready". */
  race(script: string, argsOf: (i: number) => string[], n: number): Promise<string[]>;
}

/** Registers the set-up of this test file: `entry`'s closure transpiled into a temp dir, `sources` as scripts. */
export function storeProcesses<N extends string>(
  prefix: string,
  entry: string,
  sources: Record<N, string>,
): StoreProcesses<N> {
  let work: { dir: string; cleanup(): Promise<void> } | undefined;
  const scripts = {} as Record<N, string>;
  const children: Child[] = [];
  beforeAll(async () => {
    work = await tempDir(prefix);
    transpileClosure([entry], work.dir);
    for (const [name, source] of Object.entries<string>(sources)) {
      const file = path.join(work.dir, `${name}.mjs`);
      await writeFile(file, source);
      scripts[name as N] = file;
    }
  });
  afterAll(async () => {
    for (const c of children) if (c.proc.exitCode === null && c.proc.signalCode === null) c.proc.kill("SIGKILL");
    await work?.cleanup();
  });
  const start = (script: string, args: string[]): Child => {
    const child = runNode(script, args);
    children.push(child);
    return child;
  };
  return {
    dir: () => {
      if (!work) throw new Error("the work directory is created in beforeAll");
      return work.dir;
    },
    scripts,
    start,
    async race(script, argsOf, n) {
      const group = Array.from({ length: n }, (_, i) => start(script, argsOf(i)));
      await Promise.all(group.map((c) => c.waitFor("ready"))); // each has loaded the store and waits
      for (const c of group) c.proc.stdin!.write("go\n");
      return Promise.all(group.map(async (c) => (await c.done).replace(/^ready\n/, "")));
    },
  };
}

/**
 * What APPEND_RACE racers printed, and the journal after them (`target` events, the first written before the
 * race): each seq won by exactly one racer, the racers did conflict, and each win holds its racer's event.
 */
export function expectEachSeqWonOnce(outputs: string[], events: readonly { seq: number }[], target: number): void {
  const results = outputs.map((o) => JSON.parse(o) as { me: string; wins: number[]; conflicts: number });
  const claimed = results.flatMap((r) => r.wins).sort((a, b) => a - b);
  expect(claimed).toEqual(Array.from({ length: target - 1 }, (_, i) => i + 2)); // each seq won exactly once
  expect(results.reduce((sum, r) => sum + r.conflicts, 0)).toBeGreaterThan(0); // they really raced
  expect(events.map((e) => e.seq)).toEqual(Array.from({ length: target }, (_, i) => i + 1));
  for (const r of results) {
    for (const seq of r.wins)
      expect(events[seq - 1]).toMatchObject({ seq, type: "step.started", stepId: r.me, attempt: seq });
  }
}

/** What LEASE_RACE racers printed: exactly one took the lease, each other was told it is locked by the winner. */
export function expectOneLeaseWinner(outputs: string[]): string {
  const results = outputs.map((o) => JSON.parse(o) as { me: string; token?: number; error?: string; message?: string });
  const winners = results.filter((r) => r.token !== undefined);
  expect(winners).toHaveLength(1);
  for (const loser of results.filter((r) => r.token === undefined)) {
    expect(loser.error).toBe(ErrorCode.Locked);
    expect(loser.message).toContain(winners[0]!.me);
  }
  return winners[0]!.me;
}
