/**
 * Is that process still there, and is it still the same process? The one
 * place cutover asks (lock-file holders, lease holders on this host, the
 * program `exec` started, the local environment's supervisor).
 *
 * A pid alone can be reused, so on Linux a process's start time (field 22 of
 * /proc/<pid>/stat, clock ticks since boot) identifies it. A zombie (state Z
 * or X: exited, not yet reaped, as in containers without an init) counts as
 * gone. Elsewhere only `kill(pid, 0)` is available and answers are weaker.
 */
import { readFileSync } from "node:fs";
import os from "node:os";

export interface ProcessIdentity {
  pid: number;
  /** Start time in clock ticks since boot (Linux); absent elsewhere. */
  startTime?: string;
}

/** USER_HZ: 100 on every Linux architecture Node supports. */
const CLOCK_TICKS_PER_SECOND = 100;
let bootTimeMs: number | undefined;

/** Fields of /proc/<pid>/stat after `(comm)`, which may itself hold spaces and parentheses: index 0 is field 3. */
function statFields(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  } catch {
    return undefined;
  }
}
const STATE = 0; // field 3
const START_TIME = 19; // field 22

/** Whether `kill(pid, 0)` finds it: true also for another user's process (EPERM). */
function signalable(pid: number): "yes" | "not-ours" | "no" {
  try {
    process.kill(pid, 0);
    return "yes";
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM" ? "not-ours" : "no";
  }
}

function isZombie(fields: string[] | undefined): boolean {
  return fields?.[STATE] === "Z" || fields?.[STATE] === "X";
}

/** Whether a process with this pid exists on this host (any user's; a zombie does not count). */
export function isPidAlive(pid: number | undefined): boolean {
  if (!pid || !Number.isInteger(pid) || pid <= 0) return false;
  if (signalable(pid) === "no") return false;
  return !isZombie(statFields(pid));
}

/** When `pid` started (ms since the epoch), from /proc on Linux; undefined elsewhere or when unknown. */
export function processStartTime(pid: number): number | undefined {
  try {
    bootTimeMs ??= Number(/^btime (\d+)$/m.exec(readFileSync("/proc/stat", "utf8"))?.[1]) * 1000;
  } catch {
    return undefined;
  }
  const ticks = Number(statFields(pid)?.[START_TIME]);
  if (!Number.isFinite(bootTimeMs) || !Number.isFinite(ticks)) return undefined;
  return bootTimeMs + (ticks * 1000) / CLOCK_TICKS_PER_SECOND;
}

/** The slack for /proc's coarse start-time clock against wall-clock timestamps. */
const START_SLACK_MS = 2_000;

/**
 * Whether process `pid` of this host may be the one that did something at
 * `at` (ms since the epoch): alive, and not started after `at` (a reused pid).
 */
export function isAliveSince(pid: number, at: number): boolean {
  if (!isPidAlive(pid)) return false;
  const started = processStartTime(pid);
  return started === undefined || started <= at + START_SLACK_MS;
}

/** Identify a process now, to recognise it again later (after cutover itself restarted). */
export function identify(pid: number): ProcessIdentity {
  const startTime = statFields(pid)?.[START_TIME];
  return startTime !== undefined ? { pid, startTime } : { pid };
}

/**
 * Whether the identified process is still running: `true`, `false`, or
 * `"unknown"` where the start time cannot be checked (a live pid may be a
 * different, later process). A pid now owned by another user is not ours.
 */
export function stillRunning(id: ProcessIdentity): boolean | "unknown" {
  if (signalable(id.pid) !== "yes") return false;
  const fields = statFields(id.pid);
  if (!fields) return "unknown";
  if (isZombie(fields)) return false;
  if (id.startTime === undefined) return "unknown";
  return fields[START_TIME] === id.startTime;
}

/** True only when `host` is this machine and process `pid` is surely gone (a holder that crashed here). */
export function isGoneFromThisHost(host: string, pid: number): boolean {
  return host === os.hostname() && !isPidAlive(pid);
}
