/**
 * `local down` leaves no app process behind, with real processes, in the two ways it used to:
 * - while the supervisor restarts a crashed app that never becomes healthy (its database dropped, say), the
 *   restart held the supervisor's queue for the app's whole health timeout, so `down` gave up waiting, killed
 *   the supervisor, and the app it was starting ran on, orphaned (seen after the S4 seed tests, whose ODS
 *   databases are dropped before their environments are stopped);
 * - a supervisor that accepts connections but never answers (stopped, hung): `down` waited for its answer forever;
 *   now it gives up, kills it, and stops the apps it ran.
 */
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isPidAlive, localPaths, readJsonFile } from "../../src/providers/local/files.js";
import { localDown, localUp } from "../../src/providers/local/lifecycle.js";
import type { AppSpec } from "../../src/core/slots.js";
import type { SupervisorInfo } from "../../src/providers/local/supervisor.js";
import { destroyLocal, ensureBuilt, tempDir } from "./env.js";
import { waitFor } from "../support/processes.js";

const root = tempDir("down-leaves-nothing");
const out = path.join(root, "out");

/** An app that notes its pid; its /health answers 503 while the file `unhealthy` exists beside it. */
const APP = `
import fs from "node:fs";
import http from "node:http";
const out = process.argv[2];
fs.writeFileSync(out + "/app." + process.pid, "");
http.createServer((req, res) => {
  res.statusCode = fs.existsSync(out + "/unhealthy") ? 503 : 200;
  res.end("{}");
}).listen(Number(process.env.PORT), "127.0.0.1");
process.on("SIGTERM", () => process.exit(0));
`;

const spec: AppSpec = {
  version: "v1",
  command: ["node", path.join(root, "app.mjs"), out],
  cwd: root,
  env: {},
  healthPath: "/health",
  healthTimeoutMs: 120_000,
};

const appPids = (): number[] =>
  fs
    .readdirSync(out)
    .filter((f) => f.startsWith("app."))
    .map((f) => Number(f.slice(4)));

beforeAll(() => {
  ensureBuilt();
  fs.mkdirSync(out, { recursive: true });
  fs.writeFileSync(path.join(root, "app.mjs"), APP);
});
afterAll(async () => {
  for (const pid of appPids()) if (isPidAlive(pid)) process.kill(pid, "SIGKILL");
  fs.rmSync(root, { recursive: true, force: true });
});

describe("local down", () => {
  it("cancels the restart of a crashed app that never becomes healthy, and stops it", async () => {
    const dir = path.join(root, "restarting");
    try {
      await localUp({ dir, baseline: spec });
      const [first] = appPids();
      // The app crashes and comes back unhealthy: the supervisor's restart waits for a health that never comes.
      fs.writeFileSync(path.join(out, "unhealthy"), "");
      process.kill(first!, "SIGKILL");
      await waitFor(() => appPids().some((p) => p !== first && isPidAlive(p)), 15_000); // the supervisor restarted it

      await localDown({ dir, timeoutMs: 10_000 });

      expect(appPids().filter(isPidAlive), "app processes left running").toEqual([]);
      // It shut down by itself (a supervisor killed after the timeout leaves supervisor.json behind).
      expect(fs.existsSync(localPaths(dir).supervisorInfo)).toBe(false);
    } finally {
      fs.rmSync(path.join(out, "unhealthy"), { force: true });
      await destroyLocal(dir);
    }
  });

  it("kills a supervisor that never answers, and stops the apps it ran", async () => {
    const dir = path.join(root, "hung");
    try {
      await localUp({ dir, baseline: spec });
      const info = await readJsonFile<SupervisorInfo>(localPaths(dir).supervisorInfo);
      const before = appPids().filter(isPidAlive);
      expect(before).not.toEqual([]);
      process.kill(info!.pid, "SIGSTOP"); // accepts connections (the kernel does), answers nothing

      await localDown({ dir, timeoutMs: 2000 });

      await waitFor(() => !isPidAlive(info!.pid)); // the stopped supervisor is gone
      expect(before.filter(isPidAlive), "app processes left running").toEqual([]);
    } finally {
      await destroyLocal(dir);
    }
  });
});
