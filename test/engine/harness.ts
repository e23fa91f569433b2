/**
 * Runs playbooks through the real engine and the real file store in a temp
 * directory, with test actions whose side effects are counted in memory.
 * Time is a FakeClock shared by the engine and the store: nothing here sleeps.
 */
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { z } from "zod";
import type { ActionDefinition } from "../../src/core/action.js";
import { ActionFailure, defineAction } from "../../src/core/action.js";
import type { Json } from "../../src/core/json.js";
import type { RunEvent } from "../../src/engine/events.js";
import { Journal } from "../../src/engine/journal.js";
import { plannedSteps, buildPlan } from "../../src/engine/plan.js";
import { Redactor } from "../../src/engine/redact.js";
import { Runner } from "../../src/engine/runner.js";
import { validatePlaybookText, type LoadedPlaybook } from "../../src/playbook/validate.js";
import { FileStore } from "../../src/providers/file/index.js";
import { registries } from "../../src/runtime.js";
import { FakeClock } from "./fake-clock.js";

export interface World {
  /** How many times each step id's side effect ran. */
  runs: Map<string, number>;
  undone: string[];
  /** Per step id: how many attempts should fail before success. */
  failTimes: Map<string, number>;
  active: number;
  maxActive: number;
  /** `test.work` with `block: true` waits until the test calls `release(stepId)` (or its signal aborts). */
  blocked: Map<string, () => void>;
  release(stepId: string): void;
}

function newWorld(): World {
  const blocked = new Map<string, () => void>();
  const release = (id: string) => {
    blocked.get(id)?.();
    blocked.delete(id);
  };
  return { runs: new Map(), undone: [], failTimes: new Map(), active: 0, maxActive: 0, blocked, release };
}

function testActions(world: World): ActionDefinition<unknown>[] {
  const count = (id: string) => world.runs.set(id, (world.runs.get(id) ?? 0) + 1);
  const work = defineAction({
    kind: "test.work",
    summary: "counts its runs; fails the first failTimes attempts",
    with: z
      .object({
        block: z.boolean().default(false),
        retryable: z.boolean().default(true),
        value: z.unknown().optional(),
      })
      .strict(),
    idempotent: true,
    undo: "recorded",
    async run(w, ctx) {
      world.active++;
      world.maxActive = Math.max(world.maxActive, world.active);
      try {
        if (w.block) {
          await new Promise<void>((resolve, reject) => {
            world.blocked.set(ctx.stepId, resolve);
            ctx.signal.addEventListener(
              "abort",
              () => {
                world.blocked.delete(ctx.stepId);
                reject(ctx.signal.reason);
              },
              { once: true },
            );
          });
        }
        count(ctx.stepId);
        const left = world.failTimes.get(ctx.stepId) ?? 0;
        if (left > 0) {
          world.failTimes.set(ctx.stepId, left - 1);
          throw new ActionFailure(`planned failure of ${ctx.stepId}`, { retryable: w.retryable });
        }
        return { outputs: { value: (w.value ?? ctx.stepId) as string }, recorded: { step: ctx.stepId } };
      } finally {
        world.active--;
      }
    },
    async undoRun(_w, ctx) {
      world.undone.push(ctx.stepId);
    },
  });
  const irreversible = defineAction({
    kind: "test.contract",
    summary: "a point of no return",
    with: z.object({}).strict(),
    idempotent: true,
    undo: "irreversible",
    async run(_w, ctx) {
      count(ctx.stepId);
      return {};
    },
  });
  // Undoes a failed attempt from "its own records" (recorded is null then), like a reversible migration.
  const partial = defineAction({
    kind: "test.partial",
    summary: "fails the first failTimes attempts after changing something; undo takes back partial attempts too",
    with: z.object({}).strict(),
    idempotent: true,
    undo: "recorded",
    undoIncomplete: true,
    async run(_w, ctx) {
      count(ctx.stepId);
      const left = world.failTimes.get(ctx.stepId) ?? 0;
      if (left > 0) {
        world.failTimes.set(ctx.stepId, left - 1);
        throw new ActionFailure(`planned failure of ${ctx.stepId} halfway`, { retryable: false });
      }
      return { recorded: { step: ctx.stepId } };
    },
    async undoRun(_w, ctx) {
      world.undone.push(`${ctx.stepId}${ctx.recorded === null ? " (partial)" : ""}`);
    },
  });
  // An undo in two halves: the first attempt checkpoints its first
  // half, then fails; a resumed undo must see that checkpoint.
  const halves = defineAction({
    kind: "test.halves",
    summary: "its undo checkpoints halfway and fails once",
    with: z.object({}).strict(),
    idempotent: true,
    undo: "recorded",
    async run(_w, ctx) {
      count(ctx.stepId);
      return { recorded: { step: ctx.stepId } };
    },
    async undoRun(_w, ctx) {
      if (ctx.priorUndoCheckpoint === undefined) {
        await ctx.checkpoint({ firstHalf: "done" });
        throw new ActionFailure("undo died halfway", { retryable: false });
      }
      world.undone.push(`${ctx.stepId} after ${JSON.stringify(ctx.priorUndoCheckpoint)}`);
    },
  });
  // Declares the shape of its record and checkpoint; `with.record` stands for a record journaled by another version.
  const typed = defineAction({
    kind: "test.typed",
    summary: "records { slot } (schema-checked by the engine before undo)",
    with: z.object({ record: z.unknown() }).strict(),
    idempotent: true,
    undo: "recorded",
    records: z.object({ slot: z.enum(["blue", "green"]) }),
    checkpoints: z.object({ slot: z.enum(["blue", "green"]) }),
    async run(w, ctx) {
      count(ctx.stepId);
      return { recorded: w.record as Json };
    },
    async undoRun(_w, ctx) {
      // Typed: `ctx.recorded.slot` is "blue" | "green" here, with no cast.
      world.undone.push(`${ctx.stepId}: ${ctx.recorded?.slot ?? "nothing recorded"}`);
    },
  });
  return [work, irreversible, partial, halves, typed] as ActionDefinition<unknown>[];
}

export interface Harness {
  dir: string;
  clock: FakeClock;
  store: FileStore;
  loaded: LoadedPlaybook;
  world: World;
  events: RunEvent[];
  start(params?: Record<string, unknown>): Promise<{ journal: Journal; runner: Runner }>;
  reopen(runId: string): Promise<{ journal: Journal; runner: Runner }>;
  cleanup(): void;
}

export function harness(yaml: string, world = newWorld()): Harness {
  const dir = mkdtempSync(path.join(os.tmpdir(), "cutover-engine-"));
  const extra = testActions(world);
  const reg = {
    ...registries,
    findAction: (k: string) => extra.find((a) => a.kind === k) ?? registries.findAction(k),
    actionKinds: () => [...registries.actionKinds(), ...extra.map((a) => a.kind)],
  };
  const loaded = validatePlaybookText(path.join(dir, "playbook.yaml"), yaml, reg);
  const clock = new FakeClock();
  const store = new FileStore({ dir, clock: clock.date });
  const events: RunEvent[] = [];
  const runnerFor = (journal: Journal, params: Record<string, unknown>) => {
    journal.onEvent((e) => events.push(e));
    return new Runner({
      journal,
      playbook: loaded.playbook,
      baseDir: dir,
      stateDir: dir,
      findAction: reg.findAction,
      provider: async () => store,
      actor: { user: "tester", host: "test", pid: process.pid },
      env: {},
      params: params as never,
      secret: () => undefined,
      redactor: new Redactor(),
      now: clock.now,
      sleep: clock.sleep,
    });
  };
  let n = 0;
  return {
    dir,
    clock,
    store,
    loaded,
    world,
    events,
    async start(params = {}) {
      const runId = `test-${++n}`;
      const steps = plannedSteps(buildPlan(loaded.playbook.steps, params as never));
      const journal = await Journal.create(store, runId, {
        type: "run.started",
        playbook: { name: loaded.playbook.name, file: loaded.file, hash: loaded.hash },
        environment: loaded.environment,
        params: params as never,
        secretParams: [],
        steps,
        by: { user: "tester", host: "test", pid: process.pid },
        cutoverVersion: "test",
      });
      events.push(...journal.created!);
      return { journal, runner: runnerFor(journal, params) };
    },
    async reopen(runId) {
      const journal = await Journal.open(store, runId);
      return { journal, runner: runnerFor(journal, journal.state.params) };
    },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}
