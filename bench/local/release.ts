/**
 * Benchmark: a full local release (`cutover run playbooks/local-demo.yaml`)
 * under steady load. Counts failed requests (target: 0 of at least 50,000)
 * and compares p99 latency around the swap with the steady state before the
 * release began.
 *   npm run build:bench && node dist/bench/local/release.js [requests]
 */
import { spawn } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { LoadGenerator, percentile, type Sample } from "./loadgen.js";
import { machine, ms, withLocalEnvironment } from "./common.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
const requests = Number(process.argv[2] ?? 60_000);

interface Event {
  type: string;
  stepId?: string;
  at?: string;
}

function runRelease(stateDir: string): Promise<{ code: number | null; events: Event[] }> {
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      [
        path.join(root, "dist/cli/cutover.js"),
        "--state-dir",
        stateDir,
        "--output",
        "json",
        "run",
        path.join(root, "playbooks/local-demo.yaml"),
        "--yes",
        "-p",
        "grace=2s",
      ],
      {
        stdio: ["ignore", "pipe", "inherit"],
      },
    );
    const events: Event[] = [];
    let buf = "";
    child.stdout.on("data", (d: Buffer) => {
      buf += d.toString();
      const lines = buf.split("\n");
      buf = lines.pop() ?? "";
      for (const l of lines) {
        try {
          events.push(JSON.parse(l) as Event);
        } catch {
          // not JSON
        }
      }
    });
    child.on("exit", (code) => resolve({ code, events }));
  });
}

const within = (samples: Sample[], from: number, to: number) => samples.filter((s) => s.start >= from && s.start <= to);

await withLocalEnvironment(async (status, stateDir) => {
  console.log(`machine: ${machine()}`);
  const load = new LoadGenerator({
    url: status.publicUrl,
    keepAliveWorkers: 8,
    freshWorkers: 2,
    writeRatio: 0.2,
    maxRequests: requests,
    maxDurationMs: 180_000,
  }).start();
  const steadyFrom = performance.timeOrigin + performance.now();
  await new Promise((r) => setTimeout(r, 3000));
  const steadyTo = performance.timeOrigin + performance.now();
  const release = await runRelease(stateDir);
  const report = await load.finished();

  const at = (type: string, step: string) =>
    Date.parse(release.events.find((e) => e.type === type && e.stepId === step)?.at ?? "");
  const swapFrom = at("step.started", "swap") - 500;
  const swapTo = at("step.succeeded", "swap") + 500;
  const steady = within(report.samples, steadyFrom, steadyTo).filter((s) => s.kind === "read");
  const swap = within(report.samples, swapFrom, swapTo).filter((s) => s.kind === "read");
  const refused = report.samples.filter((s) => s.kind === "write" && s.status === 503).length;
  const failedReads = report.samples.filter((s) => s.kind === "read" && s.status !== 200).length;
  const failedWrites = report.samples.filter((s) => s.kind === "write" && s.status !== 201 && s.status !== 503).length;

  console.log(`release exit code: ${release.code}`);
  console.log(
    `requests: ${report.total} in ${(report.durationMs / 1000).toFixed(1)} s ` +
      `(${report.requestsPerSecond.toFixed(0)}/s); 8 keep-alive + 2 new-connection workers, 20% writes`,
  );
  console.log(
    `failed: ${report.failed.length} (connection errors ${report.connectionErrors.length}, failed reads ` +
      `${failedReads}, failed writes ${failedWrites})`,
  );
  console.log(`writes refused with 503 during the maintenance window: ${refused}`);
  console.log(
    `read latency, steady state (${steady.length} reads): p50 ${ms(percentile(steady, 50))}, p99 ` +
      `${ms(percentile(steady, 99))}`,
  );
  console.log(
    `read latency, swap ±500 ms (${swap.length} reads): p50 ${ms(percentile(swap, 50))}, p99 ` +
      `${ms(percentile(swap, 99))}`,
  );
});
