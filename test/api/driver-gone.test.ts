/** `status` tells a run that nothing drives any more (crashed, killed, CI job cancelled) from one that is running. */
import { spawnSync } from "node:child_process";
import os from "node:os";
import { describe, expect, it } from "vitest";
import { driverGone } from "../../src/api/inspect.js";
import type { RunState } from "../../src/engine/reducer.js";
import type { LeaseInfo } from "../../src/core/run-store.js";

const run = (status: RunState["status"]) => ({ runId: "r1", status }) as RunState;
const lease = (holder: string, over: Partial<LeaseInfo> = {}): LeaseInfo => ({
  environment: "env",
  holder,
  runId: "r1",
  token: 1,
  acquiredAt: new Date().toISOString(),
  expiresAt: new Date(Date.now() + 60_000).toISOString(),
  ...over,
});
// A pid that existed and is gone: a child that has exited.
const deadPid = spawnSync(process.execPath, ["-e", "0"]).pid!;
const host = os.hostname();

describe("driverGone", () => {
  it("is false while this run's holder process is alive, here or on another host", () => {
    expect(driverGone(run("running"), lease(`me@${host} pid ${process.pid} run r1`))).toBe(false);
    expect(driverGone(run("running"), lease(`me@elsewhere pid ${deadPid} run r1`))).toBe(false);
  });

  it("is true when the holder on this host is gone, the lease expired or is free, or another run holds it", () => {
    expect(driverGone(run("running"), lease(`me@${host} pid ${deadPid} run r1`))).toBe(true);
    expect(
      driverGone(
        run("aborting"),
        lease(`me@${host} pid ${process.pid} run r1`, { expiresAt: new Date(Date.now() - 1000).toISOString() }),
      ),
    ).toBe(true);
    expect(driverGone(run("running"), undefined)).toBe(true);
    expect(driverGone(run("running"), lease(`me@${host} pid ${process.pid} run r2`, { runId: "r2" }))).toBe(true);
  });

  it("does not apply to a run that is paused, interrupted or finished", () => {
    for (const status of ["paused", "interrupted", "succeeded", "aborted", "failed"] as const)
      expect(driverGone(run(status), undefined)).toBe(false);
  });
});
