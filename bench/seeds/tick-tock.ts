/**
 * Benchmark: S3 Tick/Tock (playbooks/tick-tock-expand.yaml, then playbooks/tick-tock-contract.yaml) under a
 * steady read/write load on the demo/tick-tock users app, through the built CLI. Measures the
 * write-unavailable window (first refused write to last; target: none at all, expand/contract has no
 * maintenance window), failed requests, and each run's wall time beside the sum of its unavoidable waits
 * (the release's grace period for v1; the contract has none).
 *   npm run build:bench && node dist/bench/seeds/tick-tock.js [users=20000] [grace=2s]
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { cutoverJson, root, stepProfile, type Event } from "./cli.js";
import { calibrate } from "./calibrate.js";
import Database from "better-sqlite3";
import { LoadGenerator, type Sample } from "../local/loadgen.js";
import { machine } from "../local/common.js";
import { localDown } from "../../src/providers/local/lifecycle.js";

const users = Number(process.argv[2] ?? 20_000);
const grace = process.argv[3] ?? "2s";
const graceMs = Number(/^(\d+)s$/.exec(grace)?.[1] ?? NaN) * 1000;
if (!Number.isFinite(graceMs)) throw new Error(`grace must be whole seconds such as 2s, got ${grace}`);

const cli = (stateDir: string, args: string[]) => cutoverJson(stateDir, args);

/** From the run's first event to its last (the CLI's own start and exit left out). */
function runMs(events: Event[]): number {
  const at = events.filter((e) => e.at && e.type.startsWith("run.")).map((e) => Date.parse(e.at!));
  return Math.max(...at) - Math.min(...at);
}

function stepMs(events: Event[], id: string): number {
  const at = (t: string) => Date.parse(events.find((e) => e.type === t && e.stepId === id)?.at ?? "");
  return at("step.succeeded") - at("step.started");
}

const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), "cutover-bench-s3-"));
try {
  console.log(`machine: ${machine()}`);
  calibrate();
  const expand = path.join(root, "playbooks/tick-tock-expand.yaml");
  const up = await cli(stateDir, ["local", "up", "--playbook", expand]);
  const url = String(
    (up.events.find((e) => e.type === "local.up") as { status?: { publicUrl?: string } })?.status?.publicUrl,
  );
  if (up.code !== 0 || !url.startsWith("http")) throw new Error(`local up failed (exit ${up.code})`);

  const db = new Database(path.join(stateDir, "local", "demo.sqlite"));
  db.pragma("busy_timeout = 10000");
  const ins = db.prepare("INSERT INTO users (name, created_at) VALUES (?, ?)");
  db.transaction(() => {
    for (let i = 1; i <= users; i++) ins.run(i % 7 ? `First${i} Last${i}` : `Solo${i}`, new Date().toISOString());
  })();
  db.close();

  const load = new LoadGenerator({
    url,
    keepAliveWorkers: 3,
    freshWorkers: 1,
    writeRatio: 0.3,
    readPath: "/users?limit=5",
    writePath: "/users",
    maxRequests: 1_000_000,
    maxDurationMs: 300_000,
    pauseMs: 2,
  }).start();
  await new Promise((r) => setTimeout(r, 2000));
  const release = await cli(stateDir, ["run", expand, "-p", `grace=${grace}`]);
  const contract = await cli(stateDir, [
    "run",
    path.join(root, "playbooks/tick-tock-contract.yaml"),
    "--approve",
    "retire-v1",
  ]);
  await new Promise((r) => setTimeout(r, 1000));
  const report = await load.stop();

  const writes = report.samples.filter((s) => s.kind === "write");
  const refused = writes.filter((s) => s.status === 503);
  const window = (xs: Sample[]) =>
    xs.length ? Math.max(...xs.map((s) => s.end)) - Math.min(...xs.map((s) => s.start)) : 0;
  const backfill = release.events.find((e) => e.type === "step.succeeded" && e.stepId === "backfill")?.outputs;
  console.log(`users seeded: ${users}; grace for v1: ${grace}`);
  console.log(`release exit ${release.code}, contract exit ${contract.code}`);
  console.log(
    `requests: ${report.total} in ${(report.durationMs / 1000).toFixed(1)} s (${report.requestsPerSecond.toFixed(0)}/s); ` +
      `failed ${report.failed.length}; writes ${writes.length}, accepted ${writes.filter((s) => s.status === 201).length}`,
  );
  console.log(
    `refused writes: ${refused.length}; write-unavailable window: ${window(refused).toFixed(0)} ms (target 0)`,
  );
  console.log(
    `backfill: ${String(backfill?.rowsDone)} rows in ${String(backfill?.batches)} batches; ` +
      `versions answering: ${[...new Set(report.samples.map((s) => s.version))].join(", ")}`,
  );
  const wall = runMs(release.events);
  console.log(
    `release wall (run.started to the end, journal) ${(wall / 1000).toFixed(2)} s vs unavoidable waits ` +
      `${(graceMs / 1000).toFixed(2)} s: ${(wall / graceMs).toFixed(2)}x (target <= 1.2); with v2's start (deploy) ` +
      `counted as a wait too: ${(wall / (graceMs + stepMs(release.events, "deploy"))).toFixed(2)}x; ` +
      `CLI process ${(release.wallMs / 1000).toFixed(2)} s`,
  );
  console.log(`  steps: ${stepProfile(release.events)}`);
  console.log(
    `contract wall time ${(contract.wallMs / 1000).toFixed(2)} s, run ${(runMs(contract.events) / 1000).toFixed(2)} s (no unavoidable wait)`,
  );
  console.log(`  steps: ${stepProfile(contract.events)}`);
} finally {
  await localDown({ dir: path.join(stateDir, "local") }).catch(() => undefined);
  fs.rmSync(stateDir, { recursive: true, force: true });
}
