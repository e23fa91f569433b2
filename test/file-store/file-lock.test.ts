import { spawnSync } from "node:child_process";
import { mkdir, readdir, utimes, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ErrorCode } from "../../src/core/errors.js";
import { acquireFileLock, withFileLock } from "../../src/providers/file/file-lock.js";
import { processStartTime } from "../../src/core/process-identity.js";
import { expectCode } from "../store-contract.js";
import { tempDir } from "./helpers.js";

let dir: string;
let cleanup: () => Promise<void>;
let lockPath: string;

beforeEach(async () => {
  ({ dir, cleanup } = await tempDir());
  lockPath = path.join(dir, "locks", "x.lock");
});
afterEach(async () => {
  await cleanup();
});

function deadPid(): number {
  const child = spawnSync(process.execPath, ["-e", ""]);
  return child.pid!;
}

async function plantLock(owner: { pid: number; host?: string; at?: number }): Promise<void> {
  await mkdir(path.dirname(lockPath), { recursive: true });
  const content = { host: os.hostname(), at: Date.now(), nonce: "planted", ...owner };
  await writeFile(lockPath, JSON.stringify(content), { mode: 0o600 });
}

describe("file lock", () => {
  it("excludes holders within one process and runs them in turn", async () => {
    const order: string[] = [];
    const slow = withFileLock(lockPath, async () => {
      order.push("a-in");
      await new Promise((r) => setTimeout(r, 30));
      order.push("a-out");
    });
    const fast = withFileLock(lockPath, async () => {
      order.push("b-in");
    });
    await Promise.all([slow, fast]);
    expect(order).toEqual(["a-in", "a-out", "b-in"]);
    expect(await readdir(path.dirname(lockPath))).toEqual([]); // released, no temp files left
  });

  it("breaks a lock left by a dead process at once", async () => {
    await plantLock({ pid: deadPid() });
    // A fresh lock (far below staleMs): only the dead pid lets us in before the timeout.
    await withFileLock(lockPath, async () => undefined, { timeoutMs: 1_000, staleMs: 60_000 });
  });

  it("breaks a lock whose pid now belongs to a process started after it (pid reuse)", async () => {
    // Our own pid, but a lock taken a minute before this process started: not ours.
    await plantLock({ pid: process.pid, at: Date.now() - process.uptime() * 1000 - 60_000 });
    await withFileLock(lockPath, async () => undefined, { timeoutMs: 1_000 });
  });

  it("never robs a live holder on this host that renews its lock, however long it holds it", async () => {
    await plantLock({ pid: process.pid, at: Date.now() - 1_000 });
    await expectCode(
      withFileLock(lockPath, async () => undefined, { timeoutMs: 200, staleMs: 1 }),
      ErrorCode.Provider,
    );
  });

  it("takes the lock from a live holder on this host that stopped renewing it (SIGSTOP, ^Z)", async () => {
    await plantLock({ pid: process.pid, at: Date.now() - 60_000 });
    const old = new Date(Date.now() - 60_000);
    await utimes(lockPath, old, old);
    await withFileLock(lockPath, async () => undefined, { timeoutMs: 1_000, ttlMs: 5_000 });
  });

  it("breaks a lock from another host after staleMs, not before", async () => {
    await plantLock({ pid: 1, host: "some-other-host", at: Date.now() });
    await expectCode(
      withFileLock(lockPath, async () => undefined, { timeoutMs: 200, staleMs: 60_000 }),
      ErrorCode.Provider,
    );
    await plantLock({ pid: 1, host: "some-other-host", at: Date.now() - 60_000 });
    await withFileLock(lockPath, async () => undefined, { timeoutMs: 1_000, staleMs: 30_000 });
  });

  it("waits for a live holder and times out naming it", async () => {
    await plantLock({ pid: process.pid });
    const e = await expectCode(
      withFileLock(lockPath, async () => undefined, { timeoutMs: 150 }),
      ErrorCode.Provider,
    );
    expect(e.message).toContain(`pid ${process.pid}`);
    expect(e.message).toContain(lockPath);
  });

  it("reads process start times from /proc on Linux", () => {
    if (process.platform !== "linux") return;
    const started = processStartTime(process.pid)!;
    expect(started).toBeLessThanOrEqual(Date.now());
    expect(started).toBeGreaterThan(Date.now() - process.uptime() * 1000 - 5_000);
    expect(processStartTime(deadPid())).toBeUndefined();
  });

  it("does not remove a lock that is no longer its own on release", async () => {
    const held = await acquireFileLock(lockPath);
    await plantLock({ pid: process.pid, at: Date.now() }); // someone broke ours and took it
    await held.release();
    await expectCode(
      withFileLock(lockPath, async () => undefined, { timeoutMs: 100 }),
      ErrorCode.Provider,
    );
  });

  it("releases the lock when the critical section throws", async () => {
    await expect(withFileLock(lockPath, async () => Promise.reject(new Error("boom")))).rejects.toThrow("boom");
    await withFileLock(lockPath, async () => undefined, { timeoutMs: 100 });
  });
});
