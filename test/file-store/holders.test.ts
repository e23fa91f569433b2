/**
 * Who holds a lease, and whether that process is still there: one parser of
 * the display form older versions stored (`user@host pid N run id`), and one
 * process-identity module (src/core/process-identity.ts) behind lock files,
 * lease takeover and `exec`'s orphan check.
 */
import { spawnSync } from "node:child_process";
import os from "node:os";
import { describe, expect, it } from "vitest";
import { formatHolder, holderOf, parseHolder } from "../../src/core/lease-holder.js";
import {
  identify,
  isAliveSince,
  isGoneFromThisHost,
  isPidAlive,
  stillRunning,
} from "../../src/core/process-identity.js";
import { holderIsDeadLocalProcess } from "../../src/api/session.js";
import type { LeaseInfo } from "../../src/core/run-store.js";

const deadPid = (): number => spawnSync(process.execPath, ["-e", ""]).pid!;
const lease = (over: Partial<LeaseInfo>): LeaseInfo => ({
  environment: "e",
  holder: "",
  token: 1,
  acquiredAt: "",
  expiresAt: "",
  ...over,
});

describe("lease holders", () => {
  it("reads every display form cutover has written, and nothing else", () => {
    expect(parseHolder("alice@ci-7 pid 4242 run r2026-x")).toEqual({
      user: "alice",
      host: "ci-7",
      pid: 4242,
      runId: "r2026-x",
    });
    // The migration lease's form:
    expect(parseHolder("alice@ci-7 pid 4242")).toEqual({ user: "alice", host: "ci-7", pid: 4242 });
    expect(parseHolder("bob@laptop pid 9 unlock")).toEqual({ user: "bob", host: "laptop", pid: 9 });
    expect(parseHolder("me@x.example.com pid 1 run a b")).toEqual({
      user: "me",
      host: "x.example.com",
      pid: 1,
      runId: "a",
    });
    for (const text of ["me", "", "ci@host pid x", "ci@host pid 0", "ci@ pid 3", null])
      expect(parseHolder(text)).toBeUndefined();
    const by = { user: "u", host: "h", pid: 3, runId: "r" };
    expect(parseHolder(formatHolder(by))).toEqual(by);
  });

  it("prefers the structured holder, and falls back to the text of an older version's lease", () => {
    const by = { user: "u", host: "h", pid: 3 };
    expect(holderOf(lease({ holder: "someone else entirely", by }))).toEqual(by);
    expect(holderOf(lease({ holder: "u@h pid 3 run r" }))).toEqual({ ...by, runId: "r" });
  });

  it("a lease whose holder crashed on this host may be taken over at once, whichever form it was written in", () => {
    const host = os.hostname();
    const dead = deadPid();
    expect(holderIsDeadLocalProcess(lease({ holder: `u@${host} pid ${dead} run r` }), host)).toBe(true);
    expect(holderIsDeadLocalProcess(lease({ holder: "?", by: { user: "u", host, pid: dead } }), host)).toBe(true);
    expect(holderIsDeadLocalProcess(lease({ holder: `u@${host} pid ${process.pid} run r` }), host)).toBe(false);
    expect(holderIsDeadLocalProcess(lease({ holder: `u@elsewhere pid ${dead} run r` }), host)).toBe(false);
    expect(holderIsDeadLocalProcess(lease({ holder: "hand-written" }), host)).toBe(false);
  });
});

describe("process identity", () => {
  it("tells a live process from a gone one, on this host only", () => {
    expect(isPidAlive(process.pid)).toBe(true);
    expect(isPidAlive(deadPid())).toBe(false);
    expect(isPidAlive(0)).toBe(false);
    expect(isGoneFromThisHost(os.hostname(), deadPid())).toBe(true);
    expect(isGoneFromThisHost("another-host", deadPid())).toBe(false);
  });

  it("recognises a process again by its start time, and not a later one with the same pid", () => {
    if (process.platform !== "linux") return;
    const me = identify(process.pid);
    expect(me.startTime).toMatch(/^\d+$/);
    expect(stillRunning(me)).toBe(true);
    expect(stillRunning({ ...me, startTime: String(Number(me.startTime) + 1) })).toBe(false);
    expect(stillRunning(identify(deadPid()))).toBe(false);
    expect(isAliveSince(process.pid, Date.now())).toBe(true);
    expect(isAliveSince(process.pid, Date.now() - process.uptime() * 1000 - 60_000)).toBe(false);
  });
});
