/**
 * playbooks/azure-appservice.yaml end to end through the built CLI,
 * against Azurite and the fake ARM / App Configuration servers.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { TableClient } from "@azure/data-tables";
import {
  APP,
  PLAYBOOK,
  SECRET_SIG,
  cli,
  fastParams,
  flagEnabled,
  resetApp,
  runIdOf,
  startWorld,
  type AzureWorld,
} from "./e2e-helpers.js";

let world: AzureWorld;
beforeAll(async () => {
  world = await startWorld({ pollsPerSwap: 3 });
});
afterAll(async () => {
  await world?.close();
});
beforeEach(() => resetApp(world));

const version = (slot: string) => world.arm.slot(APP, slot).appSettings.APP_VERSION;
const swaps = () => world.arm.apps.get(APP)?.swaps;

describe("azure-appservice playbook through the CLI", () => {
  it("releases v2: deploy, warm up, diff, maintenance on, drain, preview, swap, verify, maintenance off", async () => {
    const r = await cli(world, ["run", PLAYBOOK, "--yes", "--output", "json", ...fastParams]).done;
    expect(r.code, r.stderr + r.stdout.slice(-3000)).toBe(0);
    expect(version("production")).toBe("v2");
    expect(world.arm.slot(APP, "production").appSettings.DEPLOY_SLOT).toBe("production");
    expect(version("staging")).toBe("v1");
    expect(swaps()).toBe(1);
    expect(flagEnabled(world)).toBe(false);
    // The SAS token reaches neither the output nor the journal in Table Storage.
    expect(r.stdout + r.stderr).not.toContain(SECRET_SIG);
    const journal = TableClient.fromConnectionString(world.azurite.connectionString, "cutover", {
      allowInsecureConnection: true,
    });
    const stored: string[] = [];
    for await (const e of journal.listEntities())
      stored.push(JSON.stringify(e, (_k, v: unknown) => (typeof v === "bigint" ? String(v) : v)));
    expect(stored.some((s) => s.includes("run.succeeded") || s.includes("run.finished"))).toBe(true);
    expect(stored.join("\n")).not.toContain(SECRET_SIG);
    expect(world.appConfig.authFailures).toBe(0);

    // Any agent can list and inspect the run from Table Storage.
    const runId = runIdOf(r.stdout) as string;
    const runs = await cli(world, ["runs", "-f", PLAYBOOK, "--output", "json"]).done;
    expect(runs.code, runs.stderr).toBe(0);
    expect(runs.stdout).toContain(runId);
    const status = await cli(world, ["status", runId, "-f", PLAYBOOK, "--output", "json"]).done;
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toMatch(/succeeded/);
  });

  it("SIGKILL during the swap, then resume: exactly one swap", async () => {
    world.arm.options.pollsPerSwap = 100_000;
    const run = cli(world, ["run", PLAYBOOK, "--yes", "--output", "json", ...fastParams]);
    // Kill once the swap's poller is checkpointed and polling.
    const deadline = Date.now() + 30_000;
    while ((world.arm.apps.get(APP)?.operation?.polls ?? 0) < 3) {
      if (Date.now() > deadline) throw new Error("the swap never started: " + run.stdout().slice(-2000));
      await new Promise((r) => setTimeout(r, 5));
    }
    run.child.kill("SIGKILL");
    const killed = await run.done;
    expect(killed.signal).toBe("SIGKILL");
    expect(swaps()).toBe(0);
    const runId = runIdOf(killed.stdout);
    expect(runId).toBeDefined();

    world.arm.options.pollsPerSwap = 3; // the operation is far enough along: the next poll completes it
    const resumed = await cli(world, ["resume", runId as string, "-f", PLAYBOOK, "--yes", "--output", "json"]).done;
    expect(resumed.code, resumed.stderr + resumed.stdout.slice(-3000)).toBe(0);
    expect(swaps()).toBe(1);
    expect(world.arm.requests.filter((q) => q.endsWith("/slotsswap"))).toHaveLength(1);
    expect(version("production")).toBe("v2");
    expect(flagEnabled(world)).toBe(false);
  });

  it("production turning bad while baking aborts the release on its own: swapped back, flag restored", async () => {
    world.arm.slot(APP, "production").warmup.goodAnswersLeft = 3; // enough for verify-production, then 503s
    const r = await cli(world, ["run", PLAYBOOK, "--yes", "--output", "json", ...fastParams, "--param", "bakeFor=1m"])
      .done;
    expect(r.code, r.stderr + r.stdout.slice(-3000)).toBe(1);
    expect(r.stdout).toMatch(/badly 3 times in a row/);
    expect(swaps()).toBe(2);
    expect(version("production")).toBe("v1");
    expect(flagEnabled(world)).toBe(false);
  });

  it("a failed verification pauses; abort swaps back and restores the maintenance flag", async () => {
    world.arm.slot(APP, "production").warmup.failFirst = 1_000_000;
    const r = await cli(world, [
      "run",
      PLAYBOOK,
      "--yes",
      "--output",
      "json",
      ...fastParams,
      "--param",
      "warmupTimeout=200ms",
    ]).done;
    expect(r.code, r.stderr + r.stdout.slice(-3000)).toBe(3);
    expect(version("production")).toBe("v2");
    expect(flagEnabled(world)).toBe(true);
    const runId = runIdOf(r.stdout) as string;

    const a = await cli(world, [
      "abort",
      runId,
      "-f",
      PLAYBOOK,
      "--yes",
      "--output",
      "json",
      "--reason",
      "production did not verify",
    ]).done;
    // Swapped back and flag restored: nothing left in place, so the abort exits 0 (docs/design.md, exit codes).
    expect(a.code, a.stderr + a.stdout.slice(-3000)).toBe(0);
    expect(version("production")).toBe("v1");
    expect(swaps()).toBe(2);
    expect(flagEnabled(world)).toBe(false);
    expect(world.arm.slot(APP, "staging").targetSwapSlot).toBeUndefined();
    // The deploy's undo put staging's own settings back.
    expect(world.arm.slot(APP, "staging").appSettings.APP_VERSION).toBe("v1");
  });
});
