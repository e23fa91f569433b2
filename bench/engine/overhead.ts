/**
 * Engine overhead per step with the file store, fsync included: a playbook of
 * 1,000 no-op steps, each journaled as step.started + step.succeeded.
 * Also: time to load and fold a 10,000-event journal (resume replay).
 *
 *   npm run build:bench && node dist/bench/engine/overhead.js
 */
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { z } from "zod";
import { defineAction, type ActionDefinition } from "../../src/core/action.js";
import { Journal } from "../../src/engine/journal.js";
import { buildPlan, plannedSteps } from "../../src/engine/plan.js";
import { Redactor } from "../../src/engine/redact.js";
import { foldRun } from "../../src/engine/reducer.js";
import { Runner } from "../../src/engine/runner.js";
import { PlaybookSchema } from "../../src/playbook/schema.js";
import { FileStore } from "../../src/providers/file/index.js";

const STEPS = Number(process.env.STEPS ?? 1000);
const REPLAY_EVENTS = 10_000;

const noop = defineAction({
  kind: "noop",
  summary: "nothing",
  with: z.object({}).strict(),
  idempotent: true,
  undo: "none",
  run: async () => ({}),
}) as ActionDefinition<unknown>;

function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
}

async function overhead(): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), "cutover-bench-"));
  try {
    const playbook = PlaybookSchema.parse({
      version: 1,
      name: "bench",
      steps: Array.from({ length: STEPS }, (_, i) => ({ id: `s${i}`, action: "noop" })),
    });
    const store = new FileStore({ dir });
    const steps = plannedSteps(buildPlan(playbook.steps, {}));
    const by = { user: "bench", host: os.hostname(), pid: process.pid };
    const journal = await Journal.create(store, "bench-1", {
      type: "run.started",
      playbook: { name: "bench", file: "-", hash: "-" },
      environment: "bench",
      params: {},
      secretParams: [],
      steps,
      by,
      cutoverVersion: "bench",
    });
    const perStep: number[] = [];
    let last = performance.now();
    journal.onEvent((e) => {
      if (e.type === "step.succeeded") {
        const now = performance.now();
        perStep.push(now - last);
        last = now;
      }
    });
    const runner = new Runner({
      journal,
      playbook,
      baseDir: dir,
      stateDir: dir,
      findAction: () => noop,
      provider: async () => undefined,
      actor: by,
      env: {},
      params: {},
      secret: () => undefined,
      redactor: new Redactor(),
    });
    const t0 = performance.now();
    const s = await runner.drive();
    const total = performance.now() - t0;
    if (s.status !== "succeeded") throw new Error(`bench run ended ${s.status}`);
    console.log(
      `engine overhead: ${STEPS} no-op steps in ${total.toFixed(0)} ms; per step median ` +
        `${quantile(perStep, 0.5).toFixed(2)} ms, p99 ${quantile(perStep, 0.99).toFixed(2)} ms, mean ` +
        `${(total / STEPS).toFixed(2)} ms (file store, fsync per event)`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function replay(): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), "cutover-bench-"));
  try {
    const store = new FileStore({ dir });
    const n = (REPLAY_EVENTS - 2) / 2;
    const steps = Array.from({ length: n }, (_, i) => ({ id: `s${i}`, stepId: `s${i}` }));
    const by = { user: "bench", host: os.hostname(), pid: process.pid };
    await store.append(
      "replay",
      [
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
      ],
      0,
    );
    // Write in batches: building the journal is not what is measured.
    let seq = 1;
    for (let i = 0; i < n; i += 500) {
      const batch = [];
      for (let k = i; k < Math.min(n, i + 500); k++) {
        batch.push({ type: "step.started" as const, stepId: `s${k}`, attempt: 1 });
        batch.push({
          type: "step.succeeded" as const,
          stepId: `s${k}`,
          attempt: 1,
          outputs: { value: `out-${k}` },
          recorded: { previous: "blue" },
          durationMs: 3,
        });
      }
      await store.append("replay", batch, seq);
      seq += batch.length;
    }
    await store.append("replay", [{ type: "run.finished", outcome: "succeeded" }], seq);
    const times: number[] = [];
    for (let i = 0; i < 7; i++) {
      const fresh = new FileStore({ dir }); // no warm caches
      const t0 = performance.now();
      const state = foldRun(await fresh.read("replay"));
      times.push(performance.now() - t0);
      if (state.lastSeq !== REPLAY_EVENTS) throw new Error(`replayed ${state.lastSeq} events`);
    }
    console.log(
      `resume replay: load + fold ${REPLAY_EVENTS} events: median ${quantile(times, 0.5).toFixed(1)} ms, best ` +
        `${Math.min(...times).toFixed(1)} ms over ${times.length} runs`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await overhead();
await replay();
