/**
 * When a slot's workers start, with real processes: with the web process, not once it is healthy (a read model
 * rebuilds while the web process starts); stopped again when the web process never becomes healthy, and when the
 * supervisor dies during the start (no orphan); a redeploy's workers are new ones, not restarts; and `local down`
 * after a killed supervisor stops them with the apps.
 */
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LocalClient } from "../../src/providers/local/client.js";
import { isPidAlive, localPaths, readJsonFile } from "../../src/providers/local/files.js";
import { localDown, localUp } from "../../src/providers/local/lifecycle.js";
import type { AppSpec } from "../../src/core/slots.js";
import type { SupervisorInfo } from "../../src/providers/local/supervisor.js";
import { destroyLocal, ensureBuilt, tempDir } from "./env.js";
import { waitFor } from "../support/processes.js";

const root = tempDir("workers-start");
const dir = path.join(root, "local");
const out = path.join(root, "out");
let client: LocalClient;

/** A web process that listens after START_DELAY_MS (or exits with 1 when EXIT_INSTEAD is set), noting when. */
const APP = `
import fs from "node:fs";
import http from "node:http";
const out = process.argv[2];
setTimeout(() => {
  if (process.env.EXIT_INSTEAD) process.exit(1);
  http.createServer((req, res) => res.end(JSON.stringify({ status: "ok" }))).listen(Number(process.env.PORT), "127.0.0.1", () => {
    fs.writeFileSync(out + "/app-" + process.env.VERSION + ".listening", String(Date.now()));
  });
}, Number(process.env.START_DELAY_MS));
process.on("SIGTERM", () => process.exit(0));
`;

/** A worker that notes its pid and start time, then runs until SIGTERM. */
const WORKER = `
import fs from "node:fs";
fs.writeFileSync(process.argv[2] + "/worker-" + process.env.VERSION + "." + process.pid, String(Date.now()));
setInterval(() => {}, 1000);
process.on("SIGTERM", () => process.exit(0));
`;

function spec(version: string, env: Record<string, string>): AppSpec {
  return {
    version,
    command: ["node", path.join(root, "app.mjs"), out],
    cwd: root,
    env: { VERSION: version, START_DELAY_MS: "0", ...env },
    healthPath: "/health",
    healthTimeoutMs: 20_000,
    workers: [{ name: "rebuild", command: ["node", path.join(root, "worker.mjs"), out], stopTimeoutMs: 2000 }],
  };
}

/** The pids and start times of `version`'s workers, from the files they wrote. */
function workersOf(version: string): { pid: number; at: number }[] {
  return fs
    .readdirSync(out)
    .filter((f) => f.startsWith(`worker-${version}.`))
    .map((f) => ({ pid: Number(f.split(".").pop()), at: Number(fs.readFileSync(path.join(out, f), "utf8")) }));
}

beforeAll(async () => {
  ensureBuilt();
  fs.mkdirSync(out, { recursive: true });
  fs.writeFileSync(path.join(root, "app.mjs"), APP);
  fs.writeFileSync(path.join(root, "worker.mjs"), WORKER);
  await localUp({ dir });
  client = new LocalClient({ dir });
}, 60_000);
afterAll(async () => {
  await destroyLocal(dir);
  fs.rmSync(root, { recursive: true, force: true });
});

describe("when a slot's workers start", () => {
  it("with the web process, while it is still starting", async () => {
    await client.deploy("green", spec("v2", { START_DELAY_MS: "800" }));
    const listening = Number(fs.readFileSync(path.join(out, "app-v2.listening"), "utf8"));
    const [worker] = workersOf("v2");
    expect(worker).toBeDefined();
    // The worker was up well before the app listened (it used to start only once the app was healthy).
    expect(listening - worker!.at).toBeGreaterThan(400);
    const status = await client.status();
    expect(status.slots.green.workers?.map((w) => [w.name, w.running, w.pid])).toEqual([
      ["rebuild", true, worker!.pid],
    ]);
  });

  it("a redeploy's workers are new ones, not restarts of the old", async () => {
    await client.deploy("green", spec("v3", {}));
    const status = await client.status();
    expect(status.slots.green.workers?.map((w) => [w.name, w.running, w.restarts])).toEqual([["rebuild", true, 0]]);
    expect(workersOf("v2").every((w) => !isPidAlive(w.pid))).toBe(true);
  });

  it("stopped again when the web process never becomes healthy", async () => {
    await expect(client.deploy("green", spec("v4", { START_DELAY_MS: "300", EXIT_INSTEAD: "1" }))).rejects.toThrow(
      /exited with code 1 before becoming healthy/,
    );
    const [worker] = workersOf("v4");
    expect(worker).toBeDefined(); // it did start, with the app
    expect(isPidAlive(worker!.pid)).toBe(false);
    const status = await client.status();
    expect(status.slots.green.workers?.some((w) => w.running) ?? false).toBe(false);
  });

  it("a supervisor that dies during the start leaves no orphan: the next one stops the start's workers", async () => {
    const deploying = client.deploy("green", spec("v5", { START_DELAY_MS: "60000" })).catch((e: Error) => e);
    const worker = await waitFor(() => workersOf("v5")[0], 20_000);
    const info = (await readJsonFile<SupervisorInfo>(localPaths(dir).supervisorInfo))!;
    process.kill(info.pid, "SIGKILL");
    expect(await deploying).toBeInstanceOf(Error);
    await waitFor(() => (isPidAlive(info.pid) ? undefined : true));
    await localUp({ dir });
    await waitFor(() => (isPidAlive(worker.pid) ? undefined : true), 20_000);
    const status = await client.status();
    expect(status.slots.green.workers?.some((w) => w.running) ?? false).toBe(false);
  }, 60_000);

  it("local down after its supervisor was killed stops the slots' workers too, not only the apps", async () => {
    await client.deploy("green", spec("v6", {}));
    const worker = await waitFor(() => workersOf("v6")[0], 20_000);
    const app = (await client.status()).slots.green.pid!;
    const info = (await readJsonFile<SupervisorInfo>(localPaths(dir).supervisorInfo))!;
    process.kill(info.pid, "SIGKILL");
    await waitFor(() => (isPidAlive(info.pid) ? undefined : true));
    expect([isPidAlive(app), isPidAlive(worker.pid)]).toEqual([true, true]); // they outlive their supervisor
    await localDown({ dir });
    expect([isPidAlive(app), isPidAlive(worker.pid)]).toEqual([false, false]);
    await localUp({ dir }); // for afterAll
  }, 60_000);
});
