/**
 * Benchmark: the CQRS seed releases (S1 playbooks/cqrs-v1-to-v2.yaml, S2 playbooks/cqrs-v2-to-v3.yaml) under
 * load, each `rounds` times on a fresh environment. Per run: the write-unavailable window (first refused
 * write sent to last refused write answered), the release's wall time (run.started to run.finished), and
 * the sum of its unavoidable waits (the drain of V1's handler; V3's read-model rebuild, from its worker's start
 * to its first Ready, as its log says, and V2's processor finishing what it held; the grace period before the old
 * version stops; overlapping waits counted once), with their ratio (target: wall <= 1.2 x waits).
 *   npm run build:bench && node dist/bench/seeds/cqrs.js [rounds]     (SEEDS=S2 for one of the two)
 * `LOAD=off` sends one request instead of the load: what a release costs with nothing else running.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { cutoverOk, root, stepProfile, type Event } from "./cli.js";
import { calibrate } from "./calibrate.js";
import { coveredMs } from "../../src/core/intervals.js";
import { LoadGenerator } from "../local/loadgen.js";
import { localDown, localUp } from "../../src/providers/local/lifecycle.js";
import { machine, median } from "../local/common.js";
import type { AppSpec } from "../../src/core/slots.js";

const rounds = Number(process.argv[2] ?? 3);

const t = (events: Event[], type: string, step?: string) =>
  Date.parse(events.find((e) => e.type === type && (step === undefined || e.stepId === step))?.at ?? "");
const stepMs = (events: Event[], step: string) => t(events, "step.succeeded", step) - t(events, "step.started", step);

/**
 * When V3's rebuild worker started and when its read model was first Ready, from the timestamps its log carries
 * (demo/cqrs/v3/rebuild.js): the rebuild is the wait S2 prescribes, and it runs while V3's web process starts, so
 * the `read-model-ready` step sees only its end.
 */
function rebuildSpan(dir: string, events: Event[]): [number, number] {
  const slot = String(events.find((e) => e.type === "step.succeeded" && e.stepId === "deploy")?.outputs?.slot);
  const log = fs.readFileSync(path.join(dir, "logs", `${slot}-rebuild.log`), "utf8");
  const at = (what: string) =>
    Date.parse(/^(\S+) /.exec(log.split("\n").find((l) => l.endsWith(what)) ?? "")?.[1] ?? "");
  const span: [number, number] = [at("rebuild worker started"), at("read model Ready")];
  if (!span.every(Number.isFinite)) throw new Error(`no rebuild start and Ready in ${slot}-rebuild.log`);
  return span;
}

function baseline(version: "v1" | "v2", queue: string): AppSpec {
  return {
    version,
    command: ["node", path.join(root, `demo/cqrs/${version}/web.js`)],
    cwd: path.join(root, "playbooks"),
    env: { CQRS_QUEUE: queue },
    healthPath: "/health",
    healthTimeoutMs: 15_000,
    workers: [
      {
        name: version === "v1" ? "handler" : "processor",
        command: ["node", path.join(root, `demo/cqrs/${version}/handler.js`)],
        env: {},
      },
    ],
  };
}

async function once(seed: "S1" | "S2") {
  const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), "cutover-bench-seed-"));
  const queue = `bench-${seed}-${process.pid}-${Date.now()}`;
  const dir = path.join(stateDir, "local");
  try {
    const { status } = await localUp({ dir, baseline: baseline(seed === "S1" ? "v1" : "v2", queue) });
    const load = new LoadGenerator({
      url: status.publicUrl,
      keepAliveWorkers: 3,
      freshWorkers: 1,
      writeRatio: 0.3,
      maxRequests: process.env.LOAD === "off" ? 1 : 1_000_000,
      maxDurationMs: 180_000,
      pauseMs: 2,
    }).start();
    await new Promise((r) => setTimeout(r, 1000));
    const playbook = path.join(root, seed === "S1" ? "playbooks/cqrs-v1-to-v2.yaml" : "playbooks/cqrs-v2-to-v3.yaml");
    const events = await cutoverOk(stateDir, ["run", playbook, "-p", `queue=${queue}`, "-p", "grace=2s"]);
    const report = await load.stop();
    const refused = report.samples.filter((s) => s.kind === "write" && s.status === 503);
    const window = refused.length
      ? Math.max(...refused.map((s) => s.end)) - Math.min(...refused.map((s) => s.start))
      : 0;
    const wall = t(events, "run.finished") - t(events, "run.started");
    const span = (step: string): [number, number] => [
      t(events, "step.started", step),
      t(events, "step.succeeded", step),
    ];
    const rebuild = seed === "S2" ? rebuildSpan(dir, events) : undefined;
    const waits =
      seed === "S1" ? stepMs(events, "drain-v1") + 2000 : coveredMs([rebuild!, span("v2-processor-ready")]) + 2000;
    // S2: V3's start (the deploy step) counted as a wait too, overlaps counted once.
    const withStart = rebuild ? coveredMs([rebuild, span("v2-processor-ready"), span("deploy")]) + 2000 : waits;
    const failedReads = report.samples.filter((s) => s.kind === "read" && s.status !== 200).length;
    const rebuildMs = rebuild ? rebuild[1] - rebuild[0] : 0;
    return {
      window,
      refused: refused.length,
      wall,
      waits,
      withStart,
      rebuildMs,
      failedReads,
      requests: report.total,
      events,
    };
  } finally {
    await localDown({ dir }).catch(() => undefined);
    fs.rmSync(stateDir, { recursive: true, force: true });
  }
}

console.log(`machine: ${machine()}`);
calibrate({ rabbitmq: true });
for (const seed of (process.env.SEEDS?.split(",") ?? ["S1", "S2"]) as ("S1" | "S2")[]) {
  const results = [];
  for (let i = 0; i < rounds; i++) {
    const r = await once(seed);
    results.push(r);
    console.log(
      `${seed} round ${i + 1}: refused writes ${r.refused} over ${(r.window / 1000).toFixed(2)} s; wall ` +
        `${(r.wall / 1000).toFixed(2)} s; unavoidable waits ${(r.waits / 1000).toFixed(2)} s ` +
        `(${(r.wall / r.waits).toFixed(2)}x); failed reads ${r.failedReads} of ${r.requests} requests`,
    );
    if (seed === "S2") {
      // V3's start comes first and nothing of the seed's can run beside it (S1's V2 starts during the drain):
      // the figure with it counted as a wait, as bench/seeds/tick-tock.ts shows for S3's v2.
      console.log(
        `  rebuild (worker start to Ready) ${(r.rebuildMs / 1000).toFixed(2)} s; with V3's start (deploy ` +
          `${(stepMs(r.events, "deploy") / 1000).toFixed(2)} s) as a wait too: ${(r.wall / r.withStart).toFixed(2)}x; ` +
          `not waiting (wall - waits) ${((r.wall - r.waits) / 1000).toFixed(2)} s`,
      );
    }
    console.log(`  steps: ${stepProfile(r.events)}`);
  }
  console.log(
    `${seed} median: write-unavailable window ${(median(results.map((r) => r.window)) / 1000).toFixed(2)} s, wall ` +
      `${(median(results.map((r) => r.wall)) / 1000).toFixed(2)} s, ` +
      `${median(results.map((r) => r.wall / r.waits)).toFixed(2)}x the unavoidable waits`,
  );
}
