/**
 * A release fanned out over 50 App Service apps: two matrix steps (deploy to
 * staging, then swap into production), run by the real engine against the
 * fake ARM server adding 200 ms to every call and needing 3 status polls per
 * swap, with the journal in Table Storage (Azurite). Compares the wall time
 * with the ideal ceil(50 / concurrency) × one app's time. The fake ARM server
 * runs in its own process (arm-fake-process.ts): real ARM is remote.
 *
 *   npm run build:bench && node dist/bench/azure/fanout.js
 *   (APPS=50 LATENCY_MS=200 CONCURRENCY=5,10,25,50 to change the shape)
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { TableClient } from "@azure/data-tables";
import { findAction } from "../../src/actions/registry.js";
import { Journal } from "../../src/engine/journal.js";
import { buildPlan, plannedSteps } from "../../src/engine/plan.js";
import { Redactor } from "../../src/engine/redact.js";
import { Runner } from "../../src/engine/runner.js";
import { PlaybookSchema } from "../../src/playbook/schema.js";
import { azureAppServiceProvider } from "../../src/providers/azure/appservice-provider.js";
import { setCredentialFactory, staticTokenCredential } from "../../src/providers/azure/credential.js";
import { TableRunStore } from "../../src/providers/azure/table-run-store.js";
import { FileStore } from "../../src/providers/file/index.js";
import type { RunStore } from "../../src/core/run-store.js";
import type { AppServiceSlots } from "../../src/providers/azure/appservice-client.js";
import { fork, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { startAzurite } from "../../test/azure/fakes/azurite.js";

const APPS = Number(process.env.APPS ?? 50);
const LATENCY_MS = Number(process.env.LATENCY_MS ?? 200);
const CONCURRENCY = (process.env.CONCURRENCY ?? "5,10,25,50").split(",").map(Number);
/**
 * Where the journal lives: `table` (Azurite, the Azure setup) or `file` (to separate journal latency from the rest).
 */
const STORE = process.env.STORE ?? "table";

setCredentialFactory(() => staticTokenCredential());

/** The fake ARM server's process and a request/answer helper over IPC. */
class ArmProcess {
  private constructor(private readonly child: ChildProcess) {}

  static async start(): Promise<{ arm: ArmProcess; url: string; cert: string }> {
    const child = fork(fileURLToPath(new URL("./arm-fake-process.js", import.meta.url)), [], {
      env: { ...process.env, LATENCY_MS: String(LATENCY_MS) },
    });
    const ready = await new Promise<{ url: string; cert: string }>((resolve, reject) => {
      child.once("message", (m) => resolve(m as { url: string; cert: string }));
      child.once("exit", (code) => reject(new Error(`fake ARM process exited with ${code}`)));
    });
    return { arm: new ArmProcess(child), ...ready };
  }

  ask<T>(message: unknown): Promise<T> {
    return new Promise((resolve) => {
      this.child.once("message", (m) => resolve(m as T));
      this.child.send(message as object);
    });
  }

  stop(): void {
    this.child.send({ type: "stop" });
  }
}

async function release(
  arm: ArmProcess,
  slots: AppServiceSlots,
  store: RunStore,
  names: string[],
  maxParallel: number,
): Promise<number> {
  await arm.ask({ type: "reset", names });
  const playbook = PlaybookSchema.parse({
    version: 1,
    name: "fanout",
    steps: [
      {
        id: "deploy",
        matrix: { app: names },
        maxParallel,
        action: "azure.deploy",
        with: { app: "${{ matrix.app }}", settings: { APP_VERSION: "v2" } },
      },
      { id: "swap", matrix: { app: names }, maxParallel, action: "azure.swap", with: { app: "${{ matrix.app }}" } },
    ],
  });
  const steps = plannedSteps(buildPlan(playbook.steps, {}));
  const by = { user: "bench", host: os.hostname(), pid: process.pid };
  const runId = `fanout-${names.length}-${maxParallel}-${Date.now()}`;
  const journal = await Journal.create(store, runId, {
    type: "run.started",
    playbook: { name: "fanout", file: "-", hash: "-" },
    environment: "bench",
    params: {},
    secretParams: [],
    steps,
    by,
    cutoverVersion: "bench",
  });
  const runner = new Runner({
    journal,
    playbook,
    baseDir: ".",
    stateDir: ".",
    findAction,
    provider: async () => slots,
    actor: by,
    env: {},
    params: {},
    secret: () => undefined,
    redactor: new Redactor(),
  });
  const t0 = performance.now();
  const state = await runner.drive();
  const ms = performance.now() - t0;
  if (state.status !== "succeeded") throw new Error(`run ${runId} ended ${state.status}`);
  if (process.env.DETAIL) {
    const events = await store.read(runId);
    const t0at = Date.parse(events[0]!.at);
    for (const phase of ["deploy", "swap"]) {
      const starts = events
        .filter((e) => e.type === "step.started" && e.stepId.startsWith(phase + "["))
        .map((e) => Date.parse(e.at) - t0at);
      const durs = events
        .filter((e) => e.type === "step.succeeded" && e.stepId.startsWith(phase + "["))
        .map((e) => (e as { durationMs: number }).durationMs);
      console.log(
        `  ${phase}: started ${Math.min(...starts)}..${Math.max(...starts)} ms, durations ` +
          `${Math.min(...durs)}..${Math.max(...durs)} ms`,
      );
    }
  }
  const { problems } = await arm.ask<{ problems: string[] }>({ type: "check", names });
  if (problems.length > 0) throw new Error(`not released exactly once: ${problems.join(", ")}`);
  return ms;
}

async function main(): Promise<void> {
  let cleanup = () => undefined as void;
  const [{ arm, url, cert }, azurite] = await Promise.all([ArmProcess.start(), startAzurite({ table: true })]);
  try {
    const dir = mkdtempSync(path.join(os.tmpdir(), "cutover-fanout-"));
    cleanup = () => rmSync(dir, { recursive: true, force: true });
    const caFile = path.join(dir, "ca.pem");
    writeFileSync(caFile, cert);
    const slots = (await azureAppServiceProvider.create(
      azureAppServiceProvider.config.parse({
        subscriptionId: "bench",
        resourceGroup: "rg-bench",
        endpoint: url,
        caCertFile: caFile,
        pollIntervalMs: 0,
        retry: { maxRetries: 3, retryDelayMs: 10, maxRetryDelayMs: 100 },
      }),
      { stateDir: os.tmpdir(), baseDir: process.cwd(), name: "app", secret: () => undefined },
    )) as AppServiceSlots;
    const store: RunStore =
      STORE === "file"
        ? new FileStore({ dir })
        : new TableRunStore({
            table: TableClient.fromConnectionString(azurite.connectionString, `fanout${Date.now()}`, {
              allowInsecureConnection: true,
            }),
          });
    console.log(`journal store: ${STORE}`);
    const names = Array.from({ length: APPS }, (_, i) => `app-${String(i + 1).padStart(2, "0")}`);

    await release(arm, slots, store, names.slice(0, 1), 1); // warm connections and the table
    const single: number[] = [];
    for (let i = 0; i < 3; i++) single.push(await release(arm, slots, store, names.slice(0, 1), 1));
    const one = single.sort((a, b) => a - b)[1] as number;
    console.log(
      `one app (deploy + swap), median of 3: ${one.toFixed(0)} ms (${LATENCY_MS} ms per ARM call, 3 polls per swap)`,
    );
    console.log(`| concurrency | wall (ms) | ideal ceil(${APPS}/c) × one app (ms) | ratio |`);
    console.log(`|---|---|---|---|`);
    for (const c of CONCURRENCY) {
      const ms = await release(arm, slots, store, names, c);
      const ideal = Math.ceil(APPS / c) * one;
      console.log(`| ${c} | ${ms.toFixed(0)} | ${ideal.toFixed(0)} | ${(ms / ideal).toFixed(2)} |`);
    }
  } finally {
    arm.stop();
    await azurite.stop();
    cleanup();
  }
}

await main();
