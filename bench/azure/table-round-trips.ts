/**
 * Table Storage round trips per step: the real engine (Journal + Runner) runs
 * a playbook of no-op steps with its journal and lease in Azure Table Storage
 * (Azurite), under a fencing token as `cutover run` does. An SDK pipeline
 * policy counts every HTTP request (retries included).
 *
 *   npm run build:bench && node dist/bench/azure/table-round-trips.js
 */
import os from "node:os";
import { TableClient, type TableClient as TC } from "@azure/data-tables";
import { z } from "zod";
import { defineAction, type ActionDefinition } from "../../src/core/action.js";
import { Journal } from "../../src/engine/journal.js";
import { buildPlan, plannedSteps } from "../../src/engine/plan.js";
import { Redactor } from "../../src/engine/redact.js";
import { Runner } from "../../src/engine/runner.js";
import { PlaybookSchema } from "../../src/playbook/schema.js";
import { TableRunStore } from "../../src/providers/azure/table-run-store.js";
import { startAzurite } from "../../test/azure/fakes/azurite.js";

const STEPS = Number(process.env.STEPS ?? 200);
const noop = defineAction({
  kind: "noop",
  summary: "nothing",
  with: z.object({}).strict(),
  idempotent: true,
  undo: "none",
  run: async () => ({}),
}) as ActionDefinition<unknown>;

function countingClient(
  connectionString: string,
  table: string,
): { client: TC; requests: { n: number; byMethod: Record<string, number> } } {
  const requests = { n: 0, byMethod: {} as Record<string, number> };
  const client = TableClient.fromConnectionString(connectionString, table, {
    allowInsecureConnection: true,
    retryOptions: { maxRetries: 3, retryDelayInMs: 10 },
    additionalPolicies: [
      {
        position: "perRetry",
        policy: {
          name: "count-requests",
          sendRequest: (req, next) => {
            requests.n++;
            const key = `${req.method} ${new URL(req.url).pathname.includes("$batch") ? "$batch" : "entity"}`;
            requests.byMethod[key] = (requests.byMethod[key] ?? 0) + 1;
            return next(req);
          },
        },
      },
    ],
  });
  return { client, requests };
}

async function main(): Promise<void> {
  const azurite = await startAzurite({ table: true });
  try {
    const { client, requests } = countingClient(azurite.connectionString, `bench${Date.now()}`);
    const store = new TableRunStore({ table: client });
    const playbook = PlaybookSchema.parse({
      version: 1,
      name: "bench",
      steps: Array.from({ length: STEPS }, (_, i) => ({ id: `s${i}`, action: "noop" })),
    });
    const steps = plannedSteps(buildPlan(playbook.steps, {}));
    const by = { user: "bench", host: os.hostname(), pid: process.pid };
    const runId = `bench-${Date.now()}`;

    const lease = await store.acquireLease({ environment: "bench", holder: "bench", runId, ttlMs: 120_000 });
    const fence = { environment: "bench", token: lease.token };
    const beforeCreate = requests.n;
    const journal = await Journal.create(
      store,
      runId,
      {
        type: "run.started",
        playbook: { name: "bench", file: "-", hash: "-" },
        environment: "bench",
        params: {},
        secretParams: [],
        steps,
        by,
        cutoverVersion: "bench",
      },
      fence,
    );
    const startCost = requests.n - beforeCreate;

    requests.n = 0;
    requests.byMethod = {};
    const runner = new Runner({
      journal,
      playbook,
      baseDir: ".",
      stateDir: ".",
      findAction: () => noop,
      provider: async () => undefined,
      actor: by,
      env: {},
      params: {},
      secret: () => undefined,
      redactor: new Redactor(),
    });
    const t0 = performance.now();
    const state = await runner.drive();
    const ms = performance.now() - t0;
    if (state.status !== "succeeded") throw new Error(`run ended ${state.status}`);
    const events = state.lastSeq - 1;
    console.log(`steps: ${STEPS}, events appended by the runner: ${events} (incl. run.finished)`);
    console.log(
      `round trips during the run: ${requests.n} → ${(requests.n / STEPS).toFixed(2)} per step, ` +
        `${(requests.n / events).toFixed(2)} per append`,
    );
    console.log(`requests by kind: ${JSON.stringify(requests.byMethod)}`);
    console.log(
      `run start (index upsert + fenced first append incl. lease check + table create): ${startCost} round trips`,
    );
    console.log(`wall: ${ms.toFixed(0)} ms, ${(ms / STEPS).toFixed(2)} ms per step on Azurite`);

    // A second agent resuming the run: its first append has no cached head.
    const { client: c2, requests: r2 } = countingClient(azurite.connectionString, client.tableName);
    const other = new TableRunStore({ table: c2, createTable: false });
    const last = (await other.read(runId)).length;
    r2.n = 0;
    await other.append(runId, [{ type: "run.resumed", by }], last);
    const first = r2.n;
    await other.append(runId, [{ type: "step.started", stepId: "x", attempt: 1 }], last + 1);
    console.log(
      `another agent resuming (unfenced): first append ${first} round trips (reads the head once), next ` +
        `${r2.n - first}`,
    );
  } finally {
    await azurite.stop();
  }
}

await main();
