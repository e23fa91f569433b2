/**
 * A supervisor killed and started again by `local up` adopts the apps that kept running before its
 * public port answers: clients hammering the port meanwhile see connections refused (nobody
 * listens) and then the app, never `503 the live slot is not running`.
 */
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { localUp } from "../../src/providers/local/lifecycle.js";
import { destroyLocal, ensureBuilt, tempDir } from "./env.js";

const dirs: string[] = [];
beforeAll(() => ensureBuilt());
afterAll(async () => {
  for (const d of dirs) await destroyLocal(d);
  for (const d of dirs) fs.rmSync(path.dirname(d), { recursive: true, force: true });
});

interface Tally {
  ok: number;
  refused: number;
  other: Record<string, number>;
}

/** Request `url` back to back until `stop` says so; count answers by status. */
async function hammer(url: string, stop: { done: boolean }, tally: Tally): Promise<void> {
  while (!stop.done) {
    try {
      const res = await fetch(url, { headers: { connection: "close" } });
      await res.arrayBuffer();
      if (res.status === 200) tally.ok++;
      else tally.other[res.status] = (tally.other[res.status] ?? 0) + 1;
    } catch {
      tally.refused++; // nobody listening yet: the supervisor is down
    }
  }
}

describe("local supervisor restart", () => {
  it("adopts the running apps before it answers on the public port: no 503 after SIGKILL and local up", async () => {
    const dir = path.join(tempDir("sup-restart"), "local");
    dirs.push(dir);
    const before = (await localUp({ dir })).status;
    const url = `${before.publicUrl}/version`;
    let supervisorPid = before.supervisorPid;
    for (let round = 0; round < 3; round++) {
      process.kill(supervisorPid!, "SIGKILL");
      const stop = { done: false };
      const tally: Tally = { ok: 0, refused: 0, other: {} };
      const hammers = Array.from({ length: 4 }, () => hammer(url, stop, tally));
      const up = await localUp({ dir });
      expect(up.started).toBe(true);
      const okBefore = tally.ok;
      // Keep going until the restarted supervisor has served a good number of requests.
      while (tally.ok < okBefore + 50) await new Promise((r) => setTimeout(r, 5));
      stop.done = true;
      await Promise.all(hammers);
      expect(tally.other).toEqual({});
      expect(up.status.publicUrl).toBe(before.publicUrl);
      supervisorPid = up.status.supervisorPid;
    }
  }, 60_000);
});
