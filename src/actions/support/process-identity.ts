/**
 * Recognise a process again after cutover itself restarted. `exec` journals
 * the pid of the program it started; if cutover is killed, that program
 * (in its own process group) keeps running, and a resumed run must not start
 * a second copy next to it. A pid alone can be reused, so on Linux the
 * process's start time (from /proc) is recorded with it.
 */
import { readFileSync } from "node:fs";

export interface ProcessIdentity {
  pid: number;
  /** Start time in clock ticks since boot (Linux); absent elsewhere. */
  startTime?: string;
}

/** Fields of /proc/<pid>/stat after the `(comm)` field, which may itself hold spaces and parentheses. */
function statFields(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  } catch {
    return undefined;
  }
}

export function identify(pid: number): ProcessIdentity {
  // After "(comm)", field 3 (state) is index 0, so field 22 (starttime) is index 19.
  const startTime = statFields(pid)?.[19];
  return startTime !== undefined ? { pid, startTime } : { pid };
}

/**
 * Whether the identified process is still running: `true`, `false`, or
 * `"unknown"` where the start time cannot be checked (a live pid may be a
 * different, later process).
 */
export function stillRunning(id: ProcessIdentity): boolean | "unknown" {
  try {
    process.kill(id.pid, 0);
  } catch {
    // ESRCH: gone. EPERM: the pid now belongs to another user, so it is not our program.
    return false;
  }
  const fields = statFields(id.pid);
  if (!fields) return "unknown";
  if (fields[0] === "Z") return false;
  if (id.startTime === undefined) return "unknown";
  return fields[19] === id.startTime;
}
