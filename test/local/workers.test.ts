/**
 * Worker processes in the local environment, with real processes: a slot's workers start once its app is
 * healthy (with CUTOVER_WORKER and the slot's variables), a dead worker is restarted, both slots' workers
 * run side by side, a restarted supervisor adopts them instead of doubling them, and stopping the slot
 * lets each worker finish (SIGTERM) before it is gone.
 */
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LocalClient } from "../../src/providers/local/client.js";
import { isPidAlive, localPaths, readJsonFile } from "../../src/providers/local/files.js";
import { demoSpec, localUp } from "../../src/providers/local/lifecycle.js";
import type { AppSpec, WorkerStatus } from "../../src/core/slots.js";
import type { SupervisorInfo } from "../../src/providers/local/supervisor.js";
import { destroyLocal, ensureBuilt, tempDir } from "./env.js";

const root = tempDir("workers");
const dir = path.join(root, "local");
const out = path.join(root, "out");
let client: LocalClient;

/** A worker that reports its environment, ticks, and on SIGTERM finishes "its current message" first. */
const WORKER = `
import fs from "node:fs";
const out = process.argv[2];
const me = process.env.CUTOVER_WORKER + "-" + process.env.CUTOVER_SLOT;
fs.writeFileSync(out + "/" + me + ".start." + process.pid, JSON.stringify({
  worker: process.env.CUTOVER_WORKER, slot: process.env.CUTOVER_SLOT, extra: process.env.EXTRA ?? null,
  appEnv: process.env.APP_ENV ?? null, secret: process.env.CUTOVER_SECRET_X ?? null }));
const tick = setInterval(() => {}, 1000);
process.on("SIGTERM", () => {
  setTimeout(() => { fs.writeFileSync(out + "/" + me + ".graceful." + process.pid, "done"); clearInterval(tick); process.exit(0); }, 300);
});
`;

function spec(version: string): AppSpec {
  const script = path.join(root, "worker.mjs");
  return {
    ...demoSpec("v1"),
    version,
    env: { APP_ENV: "from-app" },
    workers: [
      { name: "handler", command: ["node", script, out], env: { EXTRA: "one" }, stopTimeoutMs: 5000 },
      { name: "rebuilder", command: ["node", script, out], stopTimeoutMs: 5000 },
    ],
  };
}

const files = (prefix: string) => fs.readdirSync(out).filter((f) => f.startsWith(prefix));

async function workersOf(slot: "blue" | "green"): Promise<WorkerStatus[]> {
  return (await client.status()).slots[slot].workers ?? [];
}

async function until<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

beforeAll(async () => {
  ensureBuilt();
  fs.mkdirSync(out, { recursive: true });
  fs.writeFileSync(path.join(root, "worker.mjs"), WORKER);
  process.env.CUTOVER_SECRET_X = "must-not-reach-workers";
  await localUp({ dir });
  client = new LocalClient({ dir });
}, 60_000);
afterAll(async () => {
  delete process.env.CUTOVER_SECRET_X;
  await destroyLocal(dir);
  fs.rmSync(root, { recursive: true, force: true });
});

describe("local workers", () => {
  it("start beside the app with its env, their own and CUTOVER_WORKER; never cutover's secrets", async () => {
    await client.deploy("green", spec("v2"));
    const ws = await workersOf("green");
    expect(ws.map((w) => [w.name, w.running])).toEqual([
      ["handler", true],
      ["rebuilder", true],
    ]);
    const started = await until("both workers to report", async () =>
      files("handler-green.start").length && files("rebuilder-green.start").length ? true : undefined,
    );
    expect(started).toBe(true);
    const env = JSON.parse(fs.readFileSync(path.join(out, files("handler-green.start")[0]!), "utf8")) as object;
    expect(env).toEqual({ worker: "handler", slot: "green", extra: "one", appEnv: "from-app", secret: null });
  });

  it("a worker that dies is restarted, the other is left alone", async () => {
    const [handler, rebuilder] = await workersOf("green");
    process.kill(handler!.pid!, "SIGKILL");
    const again = await until("the handler to be restarted", async () => {
      const h = (await workersOf("green"))[0]!;
      return h.running && h.pid !== handler!.pid ? h : undefined;
    });
    expect(again.restarts).toBe(1);
    expect((await workersOf("green"))[1]!.pid).toBe(rebuilder!.pid);
  });

  it("both slots' workers run side by side", async () => {
    await client.setLive("green");
    await client.deploy("blue", spec("v3"));
    const [blue, green] = [await workersOf("blue"), await workersOf("green")];
    expect([...blue, ...green].every((w) => w.running)).toBe(true);
    expect(new Set([...blue, ...green].map((w) => w.pid)).size).toBe(4);
  });

  it("a restarted supervisor adopts the running workers instead of starting more", async () => {
    const before = await workersOf("green");
    const info = (await readJsonFile<SupervisorInfo>(localPaths(dir).supervisorInfo))!;
    process.kill(info.pid, "SIGKILL");
    await until("the supervisor to die", async () => (isPidAlive(info.pid) ? undefined : true));
    await localUp({ dir });
    const after = await workersOf("green");
    expect(after.map((w) => w.pid)).toEqual(before.map((w) => w.pid));
    expect(files("handler-green.start").length).toBe(2); // the first start and the restart above, no more
  });

  it("stopping the slot lets each worker finish before it is gone", async () => {
    const ws = await workersOf("blue");
    await client.stop("blue", { drainTimeoutMs: 5000, killAfterMs: 5000 });
    for (const w of ws) {
      expect(isPidAlive(w.pid)).toBe(false);
      expect(fs.existsSync(path.join(out, `${w.name}-blue.graceful.${w.pid}`))).toBe(true);
    }
    expect((await workersOf("blue")).every((w) => !w.running)).toBe(true);
  });
});
