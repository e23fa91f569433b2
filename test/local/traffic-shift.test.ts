/**
 * Weighted routing in the local proxy and `traffic.shift` on it: real HTTP
 * requests through the public port split by weight, the split survives a
 * supervisor restart, a failed bake puts the new version back to 0 %, a
 * resumed shift continues from its checkpoint, and a split changed by someone
 * else is refused unless the step says why it overrides it.
 */
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { trafficShift } from "../../src/actions/traffic-shift.js";
import type { Json } from "../../src/core/json.js";
import { LocalClient } from "../../src/providers/local/client.js";
import { localProvider } from "../../src/providers/local/index.js";
import { localUp } from "../../src/providers/local/lifecycle.js";
import { makeContext, runActionParsed, undoParsedAction, type EnvEntry } from "../support/context.js";
import { destroyLocal, ensureBuilt, ROOT, tempDir } from "./env.js";
import { runCli } from "../support/cli.js";

const stateDir = tempDir("traffic");
const dir = path.join(stateDir, "local");
const client = new LocalClient({ dir });
const environment: Record<string, EnvEntry> = { app: { def: localProvider as EnvEntry["def"], config: {} } };
const ctx = (priorCheckpoint?: Json) => makeContext({ stateDir, baseDir: ROOT, environment, priorCheckpoint });
const spec = (version: string) => ({
  version,
  command: ["node", `demo/${version}/server.js`],
  cwd: ROOT,
  env: {},
  healthPath: "/health",
  healthTimeoutMs: 15_000,
});

/** `n` GETs through the public port, one at a time; how many each slot answered. */
async function tally(n: number): Promise<Record<string, number>> {
  const url = `${(await client.status()).publicUrl}/health`;
  const seen: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    const res = await fetch(url);
    await res.arrayBuffer();
    const slot = res.headers.get("x-cutover-slot") ?? `status ${res.status}`;
    seen[slot] = (seen[slot] ?? 0) + 1;
  }
  return seen;
}

beforeAll(async () => {
  ensureBuilt();
  await localUp({ dir });
  await client.deploy("green", spec("v2"));
}, 60_000);
afterAll(() => destroyLocal(dir));

describe("local proxy weighted routing", () => {
  it("splits real requests by weight, keeps the split across a supervisor restart, and refuses to redeploy a weighted slot", async () => {
    await client.writeSplit({}, { blue: 90, green: 10 });
    const first = await tally(400);
    expect(first.green ?? 0).toBeGreaterThanOrEqual(8); // 2 % of 400
    expect(first.green ?? 0).toBeLessThanOrEqual(100); // 25 % of 400
    expect((first.blue ?? 0) + (first.green ?? 0)).toBe(400);
    expect((await client.readSplit({})).weights).toEqual({ blue: 90, green: 10 });
    const shown = runCli(["local", "status", "--dir", dir]);
    expect(shown.stdout).toMatch(/split {6}10 % to v2 in green, 90 % to blue/);

    await expect(client.deploy("green", spec("v1"))).rejects.toThrow(/10 % of the traffic/);

    const before = await client.status();
    process.kill(before.supervisorPid, "SIGKILL");
    const up = await localUp({ dir });
    expect(up.started).toBe(true);
    expect(up.status.canary).toEqual({ slot: "green", percent: 10 });
    const after = await tally(200);
    expect(after.green ?? 0).toBeGreaterThanOrEqual(4);
    expect(after.green ?? 0).toBeLessThanOrEqual(50);

    await client.writeSplit({}, { blue: 100 });
    expect(await tally(50)).toEqual({ blue: 50 });
  }, 60_000);
});

describe("traffic.shift on the local proxy", () => {
  it("shifts 10 → 50 → 100 with a passing HTTP bake, then undo puts all the traffic back on blue", async () => {
    const publicUrl = (await client.status()).publicUrl;
    const input = {
      to: "green",
      steps: [10, 50, 100],
      bake: { duration: "0s", interval: "1s", check: { http: { url: `${publicUrl}/health`, deadline: "0s" } } },
    };
    const run = ctx();
    const out = await runActionParsed(trafficShift, input, run.ctx);
    expect(out.result.outputs).toMatchObject({ from: "blue", to: "green", weights: { green: 100 } });
    // Every weight journaled before the next: the resume points of a crash.
    const applied = run.seen.checkpoints.map((c) => (c as { current: Json }).current);
    expect(applied).toContainEqual({ blue: 90, green: 10 });
    expect(applied).toContainEqual({ blue: 50, green: 50 });
    expect((await client.status()).live).toBe("green");
    expect(await tally(20)).toEqual({ green: 20 });

    await undoParsedAction(trafficShift, out.input, out.result.recorded as Json, ctx().ctx);
    expect((await client.readSplit({})).weights).toEqual({ blue: 100, green: 0 });
    expect((await client.status()).live).toBe("blue");
  }, 60_000);

  it("a failed bake check shifts green back to 0 % before the step fails", async () => {
    const publicUrl = (await client.status()).publicUrl;
    const input = {
      to: "green",
      steps: [10, 50, 100],
      bake: {
        duration: "0s",
        check: { http: { url: `${publicUrl}/nothing-here`, deadline: "0s", expect: { status: 200 } } },
      },
    };
    const run = ctx();
    await expect(runActionParsed(trafficShift, input, run.ctx)).rejects.toThrow(/bake check failed with green at 10 %/);
    expect((await client.readSplit({})).weights).toEqual({ blue: 100, green: 0 });
    expect(await tally(30)).toEqual({ blue: 30 });
    const last = run.seen.checkpoints.at(-1) as { shiftedBack?: string; applied: number };
    expect(last.shiftedBack).toMatch(/nothing-here/);
    expect(last.applied).toBe(-1);
  }, 60_000);

  it("resumes from the last journaled weight, and refuses a split someone else changed unless told why", async () => {
    const input = { to: "green", steps: [10, 50], bake: { duration: "0s" } };
    // An attempt that journaled 10 % and was killed before writing 50 %.
    await client.writeSplit({}, { blue: 90, green: 10 });
    const prior = {
      from: "blue",
      to: "green",
      previous: { blue: 100 },
      current: { blue: 90, green: 10 },
      applied: 0,
      baked: 0,
    };
    const resumed = ctx(prior);
    const out = await runActionParsed(trafficShift, input, resumed.ctx);
    expect(out.result.outputs!.weights).toEqual({ blue: 50, green: 50 });
    expect(resumed.seen.checkpoints).toHaveLength(1);

    // Someone moved traffic by hand since the journaled 10 %.
    await client.writeSplit({}, { blue: 70, green: 30 });
    await expect(runActionParsed(trafficShift, input, ctx(prior).ctx)).rejects.toThrow(
      /changed since this step last set it: expected blue 90 %, green 10 %, found blue 70 %, green 30 %/,
    );
    expect((await client.readSplit({})).weights).toEqual({ blue: 70, green: 30 });
    const forced = ctx(prior);
    await runActionParsed(
      trafficShift,
      { ...input, takeOverChangedTraffic: "INC-42: manual split abandoned" },
      forced.ctx,
    );
    expect((await client.readSplit({})).weights).toEqual({ blue: 50, green: 50 });
    expect(forced.seen.checkpoints).toContainEqual(
      expect.objectContaining({ override: "INC-42: manual split abandoned" }),
    );

    await client.writeSplit({}, { blue: 100 });
  }, 60_000);
});
