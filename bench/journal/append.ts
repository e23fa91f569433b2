/**
 * Journal benchmark for the file store: the cost the engine pays per event.
 *
 *   npm run build:bench && node dist/bench/journal/append.js [--appends 2000] [--dir <path>]
 *
 * - single-event appends with fsync, unfenced and fenced (the engine appends
 *   with a fence: run lock + lease lock + token check), median and p99;
 * - the first append of a fresh store on a 10,000-event journal (cache miss:
 *   the whole file is verified once);
 * - reading (and verifying) a 10,000-event journal;
 * - for scale: the raw floor (write + fdatasync on an fd kept open) and the
 *   store's own cost with fsync stubbed out (locks, stat, open, checks).
 * The append kinds run interleaved in blocks of 50, so they share the
 * machine's background load and compare fairly.
 *
 * `--dir` picks the filesystem (default: a temp dir under os.tmpdir()); fsync
 * costs depend entirely on it, so say which one when recording results.
 */
import fs from "node:fs";
import { mkdtemp, open, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import type { RunEventBody } from "../../src/engine/events.js";
import { FileRunStore } from "../../src/providers/file/run-store.js";

const { values } = parseArgs({
  options: {
    appends: { type: "string", default: "2000" },
    dir: { type: "string" },
    "read-events": { type: "string", default: "10000" },
  },
});
const appends = Number(values.appends);
const readEvents = Number(values["read-events"]);

const started: RunEventBody = {
  type: "run.started",
  playbook: { name: "bench", file: "bench.yaml", hash: "sha256:bench" },
  environment: "bench",
  params: { version: "v2" },
  secretParams: [],
  // Every step id the bench writes events for: a journal holds events of planned steps only.
  steps: Array.from({ length: Math.max(appends, readEvents) + 21 }, (_, i) => ({
    id: `step-${i}`,
    stepId: `step-${i}`,
  })),
  by: { user: "bench", host: os.hostname(), pid: process.pid },
  cutoverVersion: "bench",
};

/** A typical step.succeeded event (the largest kind the engine writes per step). */
function succeeded(i: number): RunEventBody {
  return {
    type: "step.succeeded",
    stepId: `step-${i}`,
    attempt: 1,
    outputs: { url: "http://127.0.0.1:8080/health", status: 200 },
    recorded: { previous: { slot: "blue", flag: false } },
    durationMs: 12,
  };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

function summary(label: string, samples: number[]): string {
  const sorted = [...samples].sort((a, b) => a - b);
  const fmt = (n: number) => n.toFixed(3).padStart(8);
  return (
    `${label.padEnd(34)} n=${String(samples.length).padStart(5)}  median ${fmt(percentile(sorted, 50))} ms  p99 ` +
    `${fmt(percentile(sorted, 99))} ms  max ${fmt(sorted.at(-1)!)} ms`
  );
}

type Fence = { environment: string; token: number };

/** A journal the bench appends to, one timed event at a time. */
function appender(store: FileRunStore, runId: string, fence?: Fence): (samples: number[]) => Promise<void> {
  let seq = -1;
  return async (samples) => {
    if (seq < 0) seq = (await store.append(runId, [started], 0, fence)).length;
    const t0 = performance.now();
    await store.append(runId, [succeeded(seq)], seq, fence);
    samples.push(performance.now() - t0);
    seq++;
  };
}

/** The disk's floor: append one line to an fd kept open and fdatasync, nothing else. */
async function rawAppender(dir: string): Promise<{ step(samples: number[]): Promise<void>; close(): Promise<void> }> {
  const handle = await open(path.join(dir, "raw.jsonl"), "a", 0o600);
  const line = JSON.stringify({ seq: 1, at: new Date().toISOString(), runId: "raw", ...succeeded(1) }) + "\n";
  return {
    step: async (samples) => {
      const t0 = performance.now();
      await handle.writeFile(line, "utf8");
      await handle.datasync();
      samples.push(performance.now() - t0);
    },
    close: () => handle.close(),
  };
}

/** Run `fn` with fdatasync as a no-op, to see the store's own cost without the disk's. */
async function withoutFsync<T>(fn: () => Promise<T>): Promise<T> {
  const real = fs.fdatasync;
  fs.fdatasync = ((_fd: number, callback: (e: NodeJS.ErrnoException | null) => void) =>
    process.nextTick(callback, null)) as typeof fs.fdatasync;
  try {
    return await fn();
  } finally {
    fs.fdatasync = real;
  }
}

async function main(): Promise<void> {
  const base = values.dir ?? os.tmpdir();
  const dir = await mkdtemp(path.join(base, "cutover-bench-journal-"));
  try {
    const store = new FileRunStore({ dir });
    const load = os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(" ");
    console.log(
      `file store journal bench: ${appends} appends, dir ${dir}, node ${process.version}, ${os.cpus().length} x ` +
        `${os.cpus()[0]?.model ?? "cpu"}, load ${load}`,
    );

    const lease = await store.acquireLease({ environment: "bench", holder: "bench", ttlMs: 600_000 });
    const fence = { environment: "bench", token: lease.token };
    const raw = await rawAppender(dir);
    const kinds = [
      { label: "raw write + fdatasync (floor)", step: raw.step, samples: [] as number[] },
      { label: "append, 1 event, fsync", step: appender(store, "plain"), samples: [] as number[] },
      { label: "append, 1 event, fsync, fenced", step: appender(store, "fenced", fence), samples: [] as number[] },
      {
        label: "append, fenced, fsync stubbed out",
        step: appender(store, "nosync", fence),
        samples: [] as number[],
        stub: true,
      },
    ];
    // Interleaved in blocks of 50, so every kind sees the same background load.
    for (let done = 0; done < appends; done += 50) {
      for (const kind of kinds) {
        const block = async () => {
          for (let i = 0; i < Math.min(50, appends - done); i++) await kind.step(kind.samples);
        };
        await (kind.stub ? withoutFsync(block) : block());
      }
    }
    await raw.close();
    for (const kind of kinds) console.log(summary(kind.label, kind.samples));

    // A long journal: written in batches, then measured cold (fresh store, no cache).
    const big = new FileRunStore({ dir });
    await big.append("big", [started], 0);
    for (let seq = 1; seq < readEvents;) {
      const n = Math.min(1_000, readEvents - seq);
      await big.append(
        "big",
        Array.from({ length: n }, (_, i) => succeeded(seq + i)),
        seq,
      );
      seq += n;
    }
    const firstAppend: number[] = [];
    const reads: number[] = [];
    for (let round = 0; round < 20; round++) {
      const cold = new FileRunStore({ dir });
      const last = readEvents + round;
      let t0 = performance.now();
      await cold.append("big", [succeeded(last)], last);
      firstAppend.push(performance.now() - t0);
      t0 = performance.now();
      const events = await new FileRunStore({ dir }).read("big");
      reads.push(performance.now() - t0);
      if (events.length !== last + 1) throw new Error(`read ${events.length} events, expected ${last + 1}`);
    }
    console.log(summary(`first append, ${readEvents}-event journal`, firstAppend));
    console.log(summary(`read + verify, ${readEvents} events`, reads));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
