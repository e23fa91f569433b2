/**
 * The supervisor as a long-lived process: idempotent `up`, its token, that it
 * outlives whoever started it, that its state survives its own restart, that
 * it restarts a crashed app, and that `down` leaves nothing running.
 */
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isPidAlive, localPaths } from "../../src/providers/local/files.js";
import { LocalClient } from "../../src/providers/local/client.js";
import { demoSpec, localDown, localStatus, localUp } from "../../src/providers/local/lifecycle.js";
import { destroyLocal, ensureBuilt, ROOT, tempDir } from "./env.js";
import type { LocalState } from "../../src/providers/local/types.js";

const dirs: string[] = [];
function newDir(): string {
  const d = path.join(tempDir("sup"), "local");
  dirs.push(d);
  return d;
}

beforeAll(() => ensureBuilt());
afterAll(async () => {
  for (const d of dirs) await destroyLocal(d);
  for (const d of dirs) fs.rmSync(path.dirname(d), { recursive: true, force: true });
});

describe("local supervisor", () => {
  it("starts once, guards its admin API with a 0600 token, and reports what serves where", async () => {
    const dir = newDir();
    const first = await localUp({ dir });
    const second = await localUp({ dir });
    expect(first.started).toBe(true);
    expect(second.started).toBe(false);
    expect(second.status.supervisorPid).toBe(first.status.supervisorPid);
    expect(first.status.live).toBe("blue");
    expect(first.status.slots.blue).toMatchObject({ version: "v1", health: "healthy", running: true, live: true });
    expect(first.status.slots.green).toMatchObject({ running: false, health: "stopped" });

    const paths = localPaths(dir);
    expect(fs.statSync(paths.adminToken).mode & 0o777).toBe(0o600);
    expect(fs.statSync(paths.state).mode & 0o777).toBe(0o600);
    const noToken = await fetch(`${first.status.adminUrl}/v1/status`);
    expect(noToken.status).toBe(401);
    const appsToken = fs.readFileSync(paths.appsToken, "utf8").trim();
    const wrongToken = await fetch(`${first.status.adminUrl}/v1/live`, {
      method: "PUT",
      headers: { authorization: `Bearer ${appsToken}` },
      body: "{}",
    });
    expect(wrongToken.status).toBe(401);

    const res = await fetch(`${first.status.publicUrl}/version`);
    expect(res.headers.get("x-cutover-slot")).toBe("blue");
    expect(await res.json()).toMatchObject({ version: "v1", slot: "blue" });

    // The live slot cannot be stopped or redeployed; an unhealthy slot cannot be made live.
    const client = new LocalClient({ dir });
    await expect(client.stop("blue", { drainTimeoutMs: 100, killAfterMs: 100 })).rejects.toThrow(/live/);
    await expect(client.setLive("green")).rejects.toThrow(/not running healthy/);
    await expect(client.deploy("blue", demoSpec("v2"))).rejects.toThrow(/live/);

    expect(await localDown({ dir })).toEqual({ stopped: true });
    const blue = first.status.slots.blue.pid!;
    expect(isPidAlive(blue)).toBe(false);
    expect(isPidAlive(first.status.supervisorPid)).toBe(false);
    expect((await localStatus({ dir })).running).toBe(false);
    expect(await localDown({ dir })).toEqual({ stopped: false });
  });

  it("outlives the process that started it (killing cutover never kills traffic)", async () => {
    const dir = newDir();
    const script =
      `import("${pathToModule("src/providers/local/lifecycle.js")}").then(async (m) => { const o = await ` +
      `m.localUp({ dir: ${JSON.stringify(dir)} }); ` +
      `console.log(JSON.stringify(o.status)); setInterval(() => {}, 1000); })`;
    const child = spawn(process.execPath, ["-e", script], { stdio: ["ignore", "pipe", "inherit"] });
    const line = await new Promise<string>((resolve) =>
      child.stdout.once("data", (d: Buffer) => resolve(d.toString())),
    );
    const started = JSON.parse(line) as { publicUrl: string; supervisorPid: number };
    child.kill("SIGKILL");
    await new Promise((r) => child.once("exit", r));
    const res = await fetch(`${started.publicUrl}/orders`);
    expect(res.status).toBe(200);
    expect((await localStatus({ dir })).running).toBe(true);
    expect(isPidAlive(started.supervisorPid)).toBe(true);
  });

  it("keeps live slot, versions, flags and public port across its own restart, re-adopting the apps", async () => {
    const dir = newDir();
    const { status } = await localUp({ dir });
    const client = new LocalClient({ dir });
    await client.deploy("green", demoSpec("v2"));
    await client.setLive("green");
    await client.set("MaintenanceMode", true);
    const before = await client.status();

    process.kill(before.supervisorPid, "SIGKILL");
    while (isPidAlive(before.supervisorPid)) await new Promise((r) => setTimeout(r, 20));
    // The apps run on without their supervisor.
    expect(isPidAlive(before.slots.green.pid)).toBe(true);
    expect(isPidAlive(before.slots.blue.pid)).toBe(true);

    const again = await localUp({ dir });
    expect(again.started).toBe(true);
    const after = again.status;
    expect(after.supervisorPid).not.toBe(before.supervisorPid);
    expect(after.publicUrl).toBe(status.publicUrl);
    expect(after.live).toBe("green");
    expect(after.flags).toEqual({ MaintenanceMode: true });
    expect(after.slots.green).toMatchObject({ version: "v2", pid: before.slots.green.pid, health: "healthy" });
    expect(after.slots.blue).toMatchObject({ version: "v1", pid: before.slots.blue.pid });

    // The adopted apps still follow the flags of the new supervisor.
    const inMaintenance = await fetch(`${after.publicUrl}/orders`, { method: "POST", body: "{}" });
    expect(await inMaintenance.json()).toMatchObject({ error: "maintenance" });
    await client.set("MaintenanceMode", false);
    const write = await fetch(`${after.publicUrl}/orders`, { method: "POST", body: "{}" });
    // v2 runs on the unmigrated schema here: it refuses for that reason, no longer for maintenance.
    expect(await write.json()).toMatchObject({ error: "schema 2 required: run the migration first" });
    expect((await client.get("MaintenanceMode")).value).toBe(false);
  });

  it("runs an app that knows nothing of flags; flag writes do not wait for it", async () => {
    const dir = newDir();
    await localUp({ dir });
    const client = new LocalClient({ dir });
    const plain =
      "require('http').createServer((q, s) => s.end('plain')).listen(Number(process.env.PORT), '127.0.0.1')";
    const out = await client.deploy("green", {
      version: "plain-1",
      command: ["node", "-e", plain],
      cwd: ROOT,
      env: {},
      healthPath: "/",
      healthTimeoutMs: 10_000,
    });
    expect(out.status).toMatchObject({ version: "plain-1", health: "healthy" });
    // Blue (the demo app) confirms flags; green never polls them and is not waited for.
    await expect(client.set("MaintenanceMode", true)).resolves.toBeDefined();
    const status = await client.status();
    expect(status.slots.blue.flagsRevApplied).toBe(status.flagsRev);
    expect(status.slots.green.flagsRevApplied).toBeUndefined();
  });

  it("a restarted supervisor stops an app whose start its predecessor did not see through", async () => {
    const dir = newDir();
    const { status } = await localUp({ dir });
    const client = new LocalClient({ dir });
    const slowStart =
      "setTimeout(() => require('http').createServer((q, s) => s.end('ok')).listen(Number(process.env.PORT), " +
      "'127.0.0.1'), 20000)";
    const deploying = client
      .deploy("green", {
        version: "slow",
        command: ["node", "-e", slowStart],
        cwd: ROOT,
        env: {},
        healthPath: "/",
        healthTimeoutMs: 30_000,
      })
      .catch((e: Error) => e);
    let starting: number | undefined;
    for (let i = 0; i < 200 && !starting; i++) {
      await new Promise((r) => setTimeout(r, 20));
      starting = (JSON.parse(fs.readFileSync(localPaths(dir).state, "utf8")) as LocalState).slots.green.startingPid;
    }
    expect(isPidAlive(starting)).toBe(true);
    process.kill(status.supervisorPid, "SIGKILL");
    expect(await deploying).toBeInstanceOf(Error);
    await localUp({ dir });
    expect(isPidAlive(starting)).toBe(false);
    const state = JSON.parse(fs.readFileSync(localPaths(dir).state, "utf8")) as LocalState;
    expect(state.slots.green.startingPid).toBeUndefined();
    expect((await client.status()).slots.blue.health).toBe("healthy");
  });

  it("down also stops the apps a killed supervisor left running", async () => {
    const dir = newDir();
    const { status } = await localUp({ dir });
    process.kill(status.supervisorPid, "SIGKILL");
    while (isPidAlive(status.supervisorPid)) await new Promise((r) => setTimeout(r, 20));
    expect(isPidAlive(status.slots.blue.pid)).toBe(true);
    expect(await localDown({ dir })).toEqual({ stopped: true });
    expect(isPidAlive(status.slots.blue.pid)).toBe(false);
  });

  it("keeps restarting, with backoff, an app whose restart fails", async () => {
    const dir = newDir();
    await localUp({ dir });
    const client = new LocalClient({ dir });
    const mark = path.join(dir, "mark");
    fs.writeFileSync(mark, "");
    // Starts only when the mark exists; a failed start creates it for the next attempt.
    const flaky =
      `const fs = require('fs'); const f = ${JSON.stringify(mark)}; if (!fs.existsSync(f)) { fs.writeFileSync(f, ` +
      `''); process.exit(1); } require('http').createServer((q, s) => ` +
      `s.end('ok')).listen(Number(process.env.PORT), '127.0.0.1')`;
    const out = await client.deploy("green", {
      version: "flaky",
      command: ["node", "-e", flaky],
      cwd: ROOT,
      env: {},
      healthPath: "/",
      healthTimeoutMs: 10_000,
    });
    const pid = out.status.pid!;
    fs.rmSync(mark);
    process.kill(-pid, "SIGKILL");
    let now = await client.status();
    for (let i = 0; i < 100 && !(now.slots.green.health === "healthy" && now.slots.green.pid !== pid); i++) {
      await new Promise((r) => setTimeout(r, 100));
      now = await client.status();
    }
    expect(now.slots.green).toMatchObject({ version: "flaky", health: "healthy", running: true });
    expect(fs.readFileSync(localPaths(dir).supervisorLog, "utf8")).toMatch(
      /exited with code 1 before becoming healthy/,
    );
  });

  it("restarts an app that dies while it should be running", async () => {
    const dir = newDir();
    const { status } = await localUp({ dir });
    const pid = status.slots.blue.pid!;
    process.kill(-pid, "SIGKILL");
    const client = new LocalClient({ dir });
    let now = await client.status();
    for (let i = 0; i < 100 && !(now.slots.blue.pid !== pid && now.slots.blue.health === "healthy"); i++) {
      await new Promise((r) => setTimeout(r, 100));
      now = await client.status();
    }
    expect(now.slots.blue.pid).not.toBe(pid);
    expect(now.slots.blue).toMatchObject({ health: "healthy", version: "v1" });
    expect((await fetch(`${status.publicUrl}/version`)).status).toBe(200);
  });
});

function pathToModule(rel: string): string {
  return path.join(ROOT, "dist", rel);
}
