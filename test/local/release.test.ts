/**
 * The demo release, driven action by action, with a load generator running
 * throughout: reads never fail, no connection error across the swap, writes
 * are refused only inside the maintenance window and accepted outside it.
 */
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { localDeploy } from "../../src/actions/local-deploy.js";
import { localDrain } from "../../src/actions/local-drain.js";
import { localStop } from "../../src/actions/local-stop.js";
import { localSwap } from "../../src/actions/local-swap.js";
import { migrateRun } from "../../src/actions/migrate-run.js";
import { sqliteProvider } from "../../src/providers/sql/index.js";
import type { Json } from "../../src/core/json.js";
import { localProvider } from "../../src/providers/local/index.js";
import { LocalClient } from "../../src/providers/local/client.js";
import { LoadGenerator } from "../../bench/local/loadgen.js";
import { makeContext, runActionParsed, undoParsedAction, type EnvEntry } from "../support/context.js";
import { destroyLocal, ensureBuilt, ROOT, tempDir } from "./env.js";

const stateDir = tempDir("release");
const environment: Record<string, EnvEntry> = {
  app: { def: localProvider as EnvEntry["def"], config: { provider: "local" } },
  // The demo apps' database, where the local environment keeps it.
  db: { def: sqliteProvider as EnvEntry["def"], config: { path: path.join(stateDir, "local", "demo.sqlite") } },
};
const ctxFor = (stepId: string, priorCheckpoint?: Json) =>
  makeContext({ stateDir, baseDir: ROOT, environment, stepId, priorCheckpoint });
const client = new LocalClient({ dir: path.join(stateDir, "local") });

beforeAll(() => ensureBuilt());
afterAll(() => destroyLocal(path.join(stateDir, "local")));

describe("local release under load", () => {
  it("serves every read, drops no connection, refuses writes only in maintenance", async () => {
    const { result: deployed } = await runActionParsed(
      localDeploy,
      { version: "v2", command: ["node", "demo/v2/server.js"], healthTimeout: "20s" },
      ctxFor("deploy").ctx,
    );
    const out = deployed.outputs!;
    expect(out.slot).toBe("green");
    expect(out.live).toBe("blue");
    const publicUrl = String(out.publicUrl);

    const load = new LoadGenerator({
      url: publicUrl,
      keepAliveWorkers: 4,
      freshWorkers: 2,
      writeRatio: 0.25,
      maxRequests: 200_000,
      maxDurationMs: 30_000,
    }).start();
    await sleep(300);

    const maintenanceOnStart = Date.now();
    await client.set("MaintenanceMode", true);
    const maintenanceOnEnd = Date.now();
    const { result: drained } = await runActionParsed(
      localDrain,
      { slot: "blue", requests: "writes", timeout: "10s" },
      ctxFor("drain").ctx,
    );
    expect(drained.outputs!.drained).toBe(true);

    const { result: migrated } = await runActionParsed(
      migrateRun,
      { dir: "examples/migrations/local-demo", phase: "migrate", reversible: true },
      ctxFor("migrate").ctx,
    );
    expect(migrated.outputs!.applied).toBe(3);
    await sleep(200);
    const { input: swapIn, result: swapped } = await runActionParsed(
      localSwap,
      { to: "green", verify: { path: "/version", bodyContains: "v2" } },
      ctxFor("swap").ctx,
    );
    expect(swapped.recorded).toEqual({ previous: "blue", live: "green" });
    await sleep(200);

    const maintenanceOffStart = Date.now();
    await client.set("MaintenanceMode", false);
    const maintenanceOffEnd = Date.now();
    await sleep(300);
    const { result: stopped } = await runActionParsed(localStop, { slot: "blue", after: "100ms" }, ctxFor("stop").ctx);
    expect(stopped.outputs).toMatchObject({ slot: "blue", version: "v1", changed: true });
    await sleep(300);

    const report = await load.stop();

    const reads = report.samples.filter((s) => s.kind === "read");
    const writes = report.samples.filter((s) => s.kind === "write");
    expect(report.total).toBeGreaterThan(200);
    expect(report.connectionErrors).toEqual([]);
    expect(reads.filter((s) => s.status !== 200)).toEqual([]);
    // Both versions served reads, v1 before the swap and v2 after it.
    expect(new Set(reads.map((s) => s.version))).toEqual(new Set(["v1", "v2"]));

    const refused = writes.filter((s) => s.status === 503);
    const accepted = writes.filter((s) => s.status === 201);
    expect(accepted.length + refused.length).toBe(writes.length);
    expect(refused.length).toBeGreaterThan(0);
    // Refused only inside the window: each refusal overlaps [on, off].
    for (const s of refused) {
      expect(s.end).toBeGreaterThanOrEqual(maintenanceOnStart);
      expect(s.start).toBeLessThanOrEqual(maintenanceOffEnd);
    }
    // Accepted outside it; and once `flag.set` returned, no app took a write until it was lifted.
    for (const s of accepted) expect(s.start < maintenanceOnEnd || s.end > maintenanceOffStart).toBe(true);
    expect(accepted.some((s) => s.start > maintenanceOffEnd)).toBe(true);

    // Undo in reverse order brings blue back: stop -> restart v1; swap -> blue live.
    await undoParsedAction(
      localStop,
      localStop.with.parse({ slot: "blue" }),
      stopped.recorded as Json,
      ctxFor("stop").ctx,
    );
    await undoParsedAction(localSwap, swapIn, swapped.recorded as Json, ctxFor("swap").ctx);
    const status = await client.status();
    expect(status.live).toBe("blue");
    expect(status.slots.blue).toMatchObject({ version: "v1", health: "healthy" });
    const version = (await (await fetch(`${publicUrl}/version`)).json()) as { version: string };
    expect(version.version).toBe("v1");
  });

  it("a resumed swap neither swaps twice nor forgets what was live", async () => {
    const status = await client.status();
    const live = status.live;
    const idle = live === "blue" ? "green" : "blue";
    await client.deploy(idle, {
      version: "v2",
      command: ["node", "demo/v2/server.js"],
      cwd: ROOT,
      env: {},
      healthPath: "/health",
      healthTimeoutMs: 20_000,
    });
    // First attempt: checkpointed, swapped, then "crashed" before its success was journaled.
    const first = ctxFor("swap");
    await runActionParsed(localSwap, { to: "idle" }, first.ctx);
    expect(first.seen.checkpoints).toEqual([{ from: live, to: idle }]);
    // The resumed attempt sees `idle` pointing the other way now; the checkpoint keeps it right.
    const { result } = await runActionParsed(localSwap, { to: "idle" }, ctxFor("swap", first.seen.checkpoints[0]).ctx);
    expect(result.recorded).toEqual({ previous: live, live: idle });
    expect((await client.status()).live).toBe(idle);
  });
});

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
